namespace TokenGovernor;

/// <summary>
/// A section under <c>TokenGovernor</c> that a feature reads by hand rather than through <see cref="TokenGovernorOptions"/>,
/// registered in DI so the unknown-key check accepts its keys: <c>services.TryAddEnumerable(ServiceDescriptor.Singleton(new
/// TokenGovernorConfigurationSection("Routing", ConfigurationSchema.CheckedElsewhere)))</c>. Its keys are merged with those the
/// library itself reads in the same section (see <see cref="ConfigurationSchema.Merge"/>).
/// </summary>
/// <param name="Name">The section name under <c>TokenGovernor</c>.</param>
/// <param name="Schema">The keys the section accepts: <see cref="ConfigurationSchema.FromType(Type)"/> of the options type it binds,
/// or <see cref="ConfigurationSchema.CheckedElsewhere"/> when its reader checks every key itself.</param>
internal sealed record TokenGovernorConfigurationSection(string Name, ConfigurationSchema Schema);
