namespace TokenGovernor;

/// <summary>Describes which tokenizer counts a model's tokens and how close its counts are to what the provider bills.</summary>
/// <param name="Encoding">The encoding name (<c>o200k_base</c>, <c>cl100k_base</c>), or the heuristic used.</param>
/// <param name="IsExact"><see langword="true"/> when the tokenizer is the model's own, so text counts match the provider exactly.</param>
/// <param name="ExpectedRelativeError">The expected relative error of counts for typical English and code (0 when exact).</param>
public sealed record TokenizerInfo(string Encoding, bool IsExact, double ExpectedRelativeError);
