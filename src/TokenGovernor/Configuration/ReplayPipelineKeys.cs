namespace TokenGovernor;

/// <summary>
/// The keys of <c>TokenGovernor:Pipeline</c>: which layers <c>tokengov replay --config</c> stacks. An app ignores the section,
/// so one configuration file serves the app and its replay; the unknown-key check accepts exactly these keys (so
/// <c>"ResponseCahce": true</c> fails, naming <c>ResponseCache</c>). Only its shape is used.
/// </summary>
internal sealed class ReplayPipelineKeys
{
    public bool LoopGuard { get; set; }

    public bool OutputBudgetHints { get; set; }

    public bool SemanticCache { get; set; }

    public bool ResponseCache { get; set; }

    public bool ModelRouting { get; set; }

    public bool Budgets { get; set; }
}
