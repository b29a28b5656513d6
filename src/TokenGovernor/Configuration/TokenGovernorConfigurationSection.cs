namespace TokenGovernor;

/// <summary>
/// A section under <c>TokenGovernor</c> that a feature reads by hand rather than through <see cref="TokenGovernorOptions"/>,
/// registered in DI so the unknown-key check accepts its keys: <c>services.TryAddEnumerable(ServiceDescriptor.Singleton(new
/// TokenGovernorConfigurationSection("Routing", typeof(RoutingConfigurationKeys))))</c>. Its keys come from
/// <paramref name="OptionsType"/> by reflection, like those of <see cref="TokenGovernorOptions"/>.
/// </summary>
/// <param name="Name">The section name under <c>TokenGovernor</c>.</param>
/// <param name="OptionsType">The type whose public properties are the section's keys.</param>
internal sealed record TokenGovernorConfigurationSection(string Name, Type OptionsType);
