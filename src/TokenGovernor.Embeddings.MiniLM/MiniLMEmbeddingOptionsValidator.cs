using Microsoft.Extensions.Options;

namespace TokenGovernor.Embeddings.MiniLM;

/// <summary>Validates <see cref="MiniLMEmbeddingOptions"/> (source-generated from its DataAnnotations).</summary>
[OptionsValidator]
internal sealed partial class MiniLMEmbeddingOptionsValidator : IValidateOptions<MiniLMEmbeddingOptions>
{
    public static void ThrowIfInvalid(MiniLMEmbeddingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var result = new MiniLMEmbeddingOptionsValidator().Validate(nameof(MiniLMEmbeddingOptions), options);
        if (result.Failed)
        {
            throw new OptionsValidationException(nameof(MiniLMEmbeddingOptions), typeof(MiniLMEmbeddingOptions),
                [$"{nameof(MiniLMEmbeddingOptions)} is invalid: {string.Join("; ", result.Failures ?? [])}"]);
        }
    }
}
