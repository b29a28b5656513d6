using System.Globalization;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;

namespace TokenGovernor.Cli;

/// <summary>
/// The layers and options a replay configuration asks for, read from <c>governor.json</c> into the library's own options types:
/// <c>TokenGovernor:Pipeline</c> (which layers), <c>TokenGovernor:Routing</c> (<see cref="RoutingOptions"/>, with <c>Tiers</c>,
/// <c>RouterFile</c> and <c>RouterEmbedder</c>), <c>TokenGovernor:ResponseCache</c> (<see cref="ResponseCacheOptions"/>, with
/// <c>Embedder</c>), <c>TokenGovernor:LoopGuard</c> (<see cref="LoopGuardOptions"/>), <c>TokenGovernor:OutputBudgetHints</c>
/// (<see cref="OutputBudgetOptions"/>) and <c>TokenGovernor:Budgets</c> (<see cref="BudgetOptions"/> with <c>Ladder</c>, beside
/// the <c>Policies</c> that <c>AddTokenGovernor</c> reads). Every key is checked when the file is read, before any line is replayed.
/// </summary>
internal sealed class ReplaySetup : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    private ReplaySetup()
    {
    }

    public bool LoopGuard { get; private set; }

    public bool OutputBudgetHints { get; private set; }

    public bool ResponseCache { get; private set; }

    public bool SemanticCache { get; private set; }

    public bool ModelRouting { get; private set; }

    public bool Budgets { get; private set; } = true;

    public Action<RoutingOptions> Routing { get; private set; } = static _ => { };

    public Action<ResponseCacheOptions> Cache { get; private set; } = static _ => { };

    public IEmbeddingGenerator<string, Embedding<float>>? CacheEmbedder { get; private set; }

    public Action<LoopGuardOptions> Loop { get; private set; } = static _ => { };

    public Action<OutputBudgetOptions> Hints { get; private set; } = static _ => { };

    public Action<BudgetOptions> Budget { get; private set; } = static _ => { };

    /// <summary>
    /// The sections replay reads beside those <c>AddTokenGovernor</c> reads: <see cref="Read"/> checks every key of them strictly
    /// (it fails on an unknown one, naming it), so the library's own unknown-key check accepts them; <c>Budgets</c> gains the
    /// <see cref="BudgetOptions"/> keys beside its <c>Policies</c>.
    /// </summary>
    public static IReadOnlyList<TokenGovernorConfigurationSection> Sections { get; } =
    [
        new("Routing", ConfigurationSchema.CheckedElsewhere),
        new("ResponseCache", ConfigurationSchema.CheckedElsewhere),
        new("LoopGuard", ConfigurationSchema.CheckedElsewhere),
        new("OutputBudgetHints", ConfigurationSchema.CheckedElsewhere),
        new("Budgets", ConfigurationSchema.FromType(typeof(BudgetOptions)).With(nameof(BudgetOptions.Ladder), ConfigurationSchema.CheckedElsewhere)),
    ];

    /// <summary>Reads and checks a configuration; <paramref name="baseDirectory"/> resolves relative file paths (a router file).</summary>
    public static ReplaySetup Read(IConfiguration configuration, string baseDirectory)
    {
        var setup = new ReplaySetup();
        var root = configuration.GetSection("TokenGovernor");
        var pipeline = root.GetSection("Pipeline");
        foreach (var key in pipeline.GetChildren())
        {
            var on = bool.TryParse(key.Value, out var b) ? b : throw new FormatException($"Configuration key '{key.Path}' has value '{key.Value}'; use true or false.");
            switch (key.Key.ToUpperInvariant())
            {
                case "LOOPGUARD": setup.LoopGuard = on; break;
                case "OUTPUTBUDGETHINTS": setup.OutputBudgetHints = on; break;
                case "RESPONSECACHE": setup.ResponseCache = on; break;
                case "SEMANTICCACHE": setup.SemanticCache = on; break;
                case "MODELROUTING": setup.ModelRouting = on; break;
                case "BUDGETS": setup.Budgets = on; break;
                default:
                    throw new FormatException($"Configuration key '{key.Path}' is not a layer; use one of: LoopGuard, OutputBudgetHints, ResponseCache, SemanticCache, ModelRouting, Budgets.");
            }
        }

        setup.Routing = setup.ReadRouting(root.GetSection("Routing"), baseDirectory);
        setup.Cache = setup.ReadCache(root.GetSection("ResponseCache"));
        var loop = root.GetSection("LoopGuard");
        setup.Loop = o => OptionsSectionBinder.Bind(loop, o);
        var hints = root.GetSection("OutputBudgetHints");
        setup.Hints = o => OptionsSectionBinder.Bind(hints, o);
        var budgets = root.GetSection("Budgets");
        setup.Budget = o => OptionsSectionBinder.Bind(budgets, o, new Dictionary<string, Action<IConfigurationSection>>(StringComparer.OrdinalIgnoreCase)
        {
            ["Policies"] = static _ => { }, // read by AddTokenGovernor
            ["Ladder"] = s => ReadLadder(s, o.Ladder),
        });

        // Apply each once now, so a bad key fails before the replay starts.
        try
        {
            setup.Routing(new RoutingOptions());
            setup.Cache(new ResponseCacheOptions());
            setup.Loop(new LoopGuardOptions());
            setup.Hints(new OutputBudgetOptions());
            setup.Budget(new BudgetOptions());
        }
        catch
        {
            setup.Dispose();
            throw;
        }

        return setup;
    }

    public void Dispose()
    {
        foreach (var d in _owned)
        {
            d.Dispose();
        }
    }

    private Action<RoutingOptions> ReadRouting(IConfigurationSection section, string baseDirectory)
    {
        IEmbeddingGenerator<string, Embedding<float>>? routerEmbedder = null;
        if (section["RouterEmbedder"] is { } name)
        {
            routerEmbedder = Own(RouterEmbedders.Create(name));
        }

        LearnedRouter? router = null;
        return o =>
        {
            OptionsSectionBinder.Bind(section, o, new Dictionary<string, Action<IConfigurationSection>>(StringComparer.OrdinalIgnoreCase)
            {
                ["Tiers"] = s => ReadTiers(s, o.Tiers),
                ["RouterEmbedder"] = static _ => { },
                ["RouterFile"] = _ => { },
            });
            if (section["RouterFile"] is { } file)
            {
                var path = Path.IsPathRooted(file) ? file : Path.Combine(baseDirectory, file);
                CliApp.RequireFile(path, $"{section.Path}:RouterFile");
                router ??= LearnedRouter.Load(path, routerEmbedder ?? Own(RouterEmbedders.ForRouterFile(RouteCommand.RecordedEmbedder(path), null)));
                o.AsyncClassifier = router;
                router.EnsureTiers(o.Tiers.Select(t => t.Name));
            }
        };
    }

    private Action<ResponseCacheOptions> ReadCache(IConfigurationSection section)
    {
        if (section["Embedder"] is { } name)
        {
            CacheEmbedder = Own(RouterEmbedders.Create(name));
        }

        return o => OptionsSectionBinder.Bind(section, o, new Dictionary<string, Action<IConfigurationSection>>(StringComparer.OrdinalIgnoreCase)
        {
            ["Embedder"] = static _ => { },
        });
    }

    private IEmbeddingGenerator<string, Embedding<float>>? Own(IEmbeddingGenerator<string, Embedding<float>>? embedder)
    {
        if (embedder is not null)
        {
            _owned.Add(embedder);
        }

        return embedder;
    }

    // The same reader and checks as AddTokenGovernor's (a present but empty list fails there, naming the key).
    private static void ReadTiers(IConfigurationSection section, IList<ModelTier> tiers)
    {
        var read = ConfiguredRoutingTiers.ReadList(section).Tiers;
        tiers.Clear();
        foreach (var tier in read)
        {
            tiers.Add(tier);
        }
    }

    private static void ReadLadder(IConfigurationSection section, IList<BudgetDegradationStep> ladder)
    {
        var read = new List<BudgetDegradationStep>();
        foreach (var s in section.GetChildren())
        {
            var step = s["Step"] ?? throw new FormatException($"Configuration key '{s.Path}:Step' is missing; use prefer-cheaper-model, cap-output, reasoning-off or refuse.");
            var at = double.TryParse(s["At"], NumberStyles.Float, CultureInfo.InvariantCulture, out var a) && a is >= 0 and <= 1
                ? a
                : throw new FormatException($"Configuration key '{s.Path}:At' must be a budget utilization between 0 and 1.");
            BudgetDegradationStep built = step switch
            {
                "prefer-cheaper-model" => CheaperModels(s, new BudgetDegradationSteps.PreferCheaperModelStep(at)),
                "cap-output" => new BudgetDegradationSteps.CapOutputStep(at, int.TryParse(s["MaxOutputTokens"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var cap) && cap > 0
                    ? cap
                    : throw new FormatException($"Configuration key '{s.Path}:MaxOutputTokens' must be a positive whole number for a cap-output step.")),
                "reasoning-off" => new BudgetDegradationSteps.DisableReasoningStep(at),
                "refuse" => new BudgetDegradationSteps.RefuseStep(at, s["Reason"] ?? "budget-exhausted"),
                _ => throw new FormatException($"Configuration key '{s.Path}:Step' has value '{step}'; use prefer-cheaper-model, cap-output, reasoning-off or refuse."),
            };
            read.Add(built);
        }

        ladder.Clear();
        foreach (var step in read)
        {
            ladder.Add(step);
        }
    }

    private static BudgetDegradationSteps.PreferCheaperModelStep CheaperModels(IConfigurationSection s, BudgetDegradationSteps.PreferCheaperModelStep step)
    {
        foreach (var pair in s.GetSection("Models").GetChildren())
        {
            step.CheaperModels[pair.Key] = pair.Value ?? throw new FormatException($"Configuration key '{pair.Path}' needs the cheaper model's id.");
        }

        return step;
    }
}
