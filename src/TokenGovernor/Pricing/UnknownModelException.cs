namespace TokenGovernor;

/// <summary>Thrown when a call must be priced for a model that the <see cref="PriceCatalog"/> does not know.</summary>
public sealed class UnknownModelException : InvalidOperationException
{
    /// <summary>Initializes a new instance for <paramref name="modelId"/>.</summary>
    /// <param name="modelId">The model id that could not be resolved, or <see langword="null"/> when no model id was known at all.</param>
    public UnknownModelException(string? modelId)
        : base(BuildMessage(modelId))
    {
        ModelId = modelId;
    }

    /// <summary>Initializes a new instance with a custom message.</summary>
    /// <param name="modelId">The model id that could not be resolved.</param>
    /// <param name="message">The message.</param>
    public UnknownModelException(string? modelId, string message)
        : base(message)
    {
        ModelId = modelId;
    }

    /// <summary>Gets the model id that could not be priced.</summary>
    public string? ModelId { get; }

    private static string BuildMessage(string? modelId) => modelId is null
        ? "The call has no model id, so it cannot be priced. Set ChatOptions.ModelId, make the provider report ChatResponse.ModelId, " +
          "or set TokenGovernorOptions.DefaultModelId."
        : $"No price is known for model '{modelId}'. Add one with PriceCatalogBuilder.Add(new ModelPrice(\"{modelId}\", input, output)), " +
          $"map it to a known model with PriceCatalogBuilder.AddAlias(\"{modelId}\", \"<known model>\") (or the TokenGovernor:Aliases configuration section), " +
          "load a LiteLLM price file, or set TokenGovernor:UnknownModelPolicy to UseFallbackPrice or Zero.";
}
