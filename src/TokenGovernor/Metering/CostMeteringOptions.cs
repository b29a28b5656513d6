using System.ComponentModel.DataAnnotations;

namespace TokenGovernor;

/// <summary>Options of <see cref="CostMeteringChatClient"/>.</summary>
public sealed class CostMeteringOptions
{
    /// <summary>Gets or sets the model id to price calls with when neither the request, the client's metadata nor the response names one.</summary>
    /// <value>Defaults to <see langword="null"/>: such a call fails before it is sent, with a message naming this setting.</value>
    public string? DefaultModelId { get; set; }

    /// <summary>Gets or sets how the provider adapter below fills <c>UsageDetails</c>.</summary>
    /// <value>Defaults to <see cref="UsageConvention.OpenAI"/>, M.E.AI's own convention.</value>
    [Required]
    public UsageConvention UsageConvention { get; set; } = UsageConvention.OpenAI;

    /// <summary>Gets or sets a value indicating whether a call whose provider reported no usage is billed with tokenizer estimates
    /// (flagged <see cref="GovernanceRecord.UsageEstimated"/>). When <see langword="false"/>, such calls are recorded with zero usage.</summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool EstimateMissingUsage { get; set; } = true;

    /// <summary>Gets or sets a value indicating whether the cost metric carries the tenant and feature as tags. Turn it off when
    /// there are so many tenants that the metric's cardinality would hurt your metrics backend.</summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool IncludeScopeInMetrics { get; set; } = true;

    /// <summary>Gets or sets a value indicating whether metering also records <c>gen_ai.client.token.usage</c>. M.E.AI's
    /// <c>UseOpenTelemetry()</c> already records it, so turning this on in a pipeline that has it double-counts tokens on dashboards;
    /// turn it on only in apps without <c>UseOpenTelemetry()</c>.</summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool EmitTokenUsageMetric { get; set; }

    /// <summary>Gets the sinks that receive every metered call, in addition to those registered in DI.</summary>
    public IList<ICostSink> Sinks { get; } = [];

    internal CostMeteringOptions Clone()
    {
        var clone = new CostMeteringOptions
        {
            DefaultModelId = DefaultModelId,
            UsageConvention = UsageConvention,
            EstimateMissingUsage = EstimateMissingUsage,
            IncludeScopeInMetrics = IncludeScopeInMetrics,
            EmitTokenUsageMetric = EmitTokenUsageMetric,
        };

        foreach (var sink in Sinks)
        {
            clone.Sinks.Add(sink);
        }

        return clone;
    }
}
