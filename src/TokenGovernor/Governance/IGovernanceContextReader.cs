namespace TokenGovernor;

/// <summary>
/// Marks a chat client that reads the current <see cref="GovernanceContext"/> (every governed layer, and the output-budget
/// hint). A governed layer that owns a call asks its inner chain for one (<c>GetService</c>, which decorators pass through):
/// when there is none, nothing below can see the context, so it is never made current (an AsyncLocal write and its restore
/// saved on every call).
/// </summary>
internal interface IGovernanceContextReader
{
    /// <summary>Whether <paramref name="inner"/>, or a client it wraps, reads the current context.</summary>
    static bool Below(Microsoft.Extensions.AI.IChatClient inner) => inner.GetService(typeof(IGovernanceContextReader)) is not null;
}
