namespace TokenGovernor;

/// <summary>
/// One rung of the degradation ladder: applied to a call when the tightest budget that covers it is at least
/// <see cref="Threshold"/> used. Steps apply in ascending threshold order; derive from this class to write your own.
/// </summary>
public abstract class BudgetDegradationStep
{
    /// <summary>Gets a value indicating whether the step changes the model. Such steps are skipped when a routing layer above owns
    /// the model (routing reads the same budget pressure and picks a cheaper tier itself), so one layer decides the model.</summary>
    internal virtual bool ChangesModel => false;

    /// <summary>Initializes a new step.</summary>
    /// <param name="name">The name recorded in <see cref="GovernanceRecord.Degradations"/> when the step changes a call.</param>
    /// <param name="threshold">The utilization (0–1) from which the step applies.</param>
    protected BudgetDegradationStep(string name, double threshold)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (threshold is < 0 or > 1 || double.IsNaN(threshold))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, $"The threshold of degradation step '{name}' must be between 0 and 1.");
        }

        Name = name;
        Threshold = threshold;
    }

    /// <summary>Gets the step's name.</summary>
    public string Name { get; }

    /// <summary>Gets the utilization from which the step applies.</summary>
    public double Threshold { get; }

    /// <summary>Applies the step to a call.</summary>
    /// <param name="context">The call's context; change <see cref="BudgetDegradationContext.Options"/> or refuse.</param>
    /// <returns><see langword="true"/> when the step changed or refused the call (it is then recorded), otherwise <see langword="false"/>.</returns>
    public abstract bool Apply(BudgetDegradationContext context);
}
