using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;

namespace TokenGovernor;

/// <summary>Returned by <c>AddTokenGovernor</c>; extension packages (for example TokenGovernor.Redis) add their services through it.</summary>
public sealed class TokenGovernorBuilder
{
    internal TokenGovernorBuilder(IServiceCollection services)
    {
        Services = services;
    }

    /// <summary>Gets the service collection TokenGovernor was added to.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Adds a sink that receives every metered call.</summary>
    /// <typeparam name="TSink">The sink type, registered as a singleton.</typeparam>
    /// <returns>This builder.</returns>
    public TokenGovernorBuilder AddCostSink<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TSink>()
        where TSink : class, ICostSink
    {
        Services.AddSingleton<ICostSink, TSink>();
        return this;
    }
}
