namespace TokenGovernor;

/// <summary>One search result of a <see cref="VectorIndex{T}"/>.</summary>
/// <typeparam name="T">The payload type.</typeparam>
/// <param name="Id">The entry's id.</param>
/// <param name="Score">Cosine similarity to the query (exact float score, also after int8 scanning).</param>
/// <param name="Payload">The entry's payload.</param>
internal readonly record struct VectorMatch<T>(long Id, float Score, T Payload);
