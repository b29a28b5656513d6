namespace TokenGovernor;

/// <summary>What start-up does with a key under the <c>TokenGovernor</c> configuration section that no setting reads.</summary>
public enum UnknownConfigurationKeyHandling
{
    /// <summary>Start-up fails, naming each unknown key and the nearest valid one ("'Budget': did you mean 'Budgets'?").</summary>
    Fail = 0,

    /// <summary>Each unknown key is logged as a warning (event 7001) and ignored.</summary>
    Warn = 1,
}
