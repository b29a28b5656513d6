namespace TokenGovernor;

/// <summary>Service keys under which TokenGovernor looks for services meant for it alone, so that it never uses by accident a
/// service the app registered for its own purposes.</summary>
public static class TokenGovernorServiceKeys
{
    /// <summary>
    /// The key of the embedder the semantic cache uses when none is passed to <c>UseSemanticCache</c>. An unkeyed
    /// <c>IEmbeddingGenerator</c> in DI (an app's paid embedder for retrieval, say) is never used: embedding every request with
    /// it would cost money nobody asked to spend. Register one with <c>AddTokenGovernor().AddEmbeddingGenerator(...)</c> or
    /// <c>AddLocalEmbeddings()</c> (package TokenGovernor.Embeddings.MiniLM); with none, the cache uses <see cref="HashingEmbeddingGenerator"/>.
    /// </summary>
    public const string EmbeddingGenerator = "tokengovernor.embeddings";
}
