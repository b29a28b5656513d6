namespace TokenGovernor;

/// <summary>Two texts and whether one may be answered with the other's cached answer (same meaning).</summary>
/// <param name="A">The text whose answer is cached.</param>
/// <param name="B">The new request's text.</param>
/// <param name="SameMeaning"><see langword="true"/> when serving A's answer for B is correct.</param>
internal sealed record LabeledPair(string A, string B, bool SameMeaning);
