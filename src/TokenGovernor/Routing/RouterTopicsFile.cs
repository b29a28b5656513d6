using System.Buffers.Binary;
using System.Text.Json;

namespace TokenGovernor;

/// <summary>The <c>topics</c> object of a router file (version 2 and later): the blend, the overall gains, and each clustering with its
/// centroids and per-cluster gains. Binary arrays are little-endian and base64-encoded, like the heads' sparse weights.</summary>
internal static class RouterTopicsFile
{
    public static void Write(Utf8JsonWriter w, TopicGains gains)
    {
        w.WriteStartObject("topics");
        w.WriteNumber("blend", gains.Blend);
        w.WriteNumber("shrinkage", TopicGains.Shrinkage);
        LearnedRouter.WriteFloats(w, "base", gains.Base);
        var topics = gains.Topics;
        w.WriteStartArray("words");
        for (var c = 0; c < topics.Words.Count; c++)
        {
            var clustering = topics.Words[c];
            w.WriteStartObject();
            w.WriteNumber("clusters", clustering.Count);
            w.WriteString("terms_u32le", PackUInts(clustering.Terms));
            w.WriteString("clusters_u8", Convert.ToBase64String([.. clustering.Clusters.Select(k => (byte)k)]));
            w.WriteString("weights_f32le", LearnedRouter.Pack(clustering.Weights));
            LearnedRouter.WriteFloats(w, "gains", gains.Gains[c]);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("embeddings");
        for (var c = 0; c < topics.Embeddings.Count; c++)
        {
            var clustering = topics.Embeddings[c];
            w.WriteStartObject();
            w.WriteNumber("clusters", clustering.Count);
            w.WriteString("centroids_f32le", LearnedRouter.Pack(clustering.Centroids));
            LearnedRouter.WriteFloats(w, "gains", gains.Gains[topics.Words.Count + c]);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    public static TopicGains Read(JsonElement json, int heads, int embeddingDimensions, string source)
    {
        var blend = json.GetProperty("blend").GetDouble();
        if (blend is < 0 or > 1)
        {
            throw new FormatException($"{source} has a topic blend of {blend}; it must be in [0, 1].");
        }

        var baseline = LearnedRouter.ReadFloats(json.GetProperty("base"), heads, source);
        var gains = new List<float[]>();
        var words = new List<RouterTopics.WordClustering>();
        foreach (var item in json.GetProperty("words").EnumerateArray())
        {
            var k = Clusters(item, source);
            var terms = UnpackUInts(item.GetProperty("terms_u32le").GetString() ?? string.Empty, source);
            var clusters = Convert.FromBase64String(item.GetProperty("clusters_u8").GetString() ?? string.Empty).Select(b => (int)b).ToArray();
            var weights = LearnedRouter.Unpack(item.GetProperty("weights_f32le").GetString() ?? string.Empty, terms.Length, source);
            if (clusters.Length != terms.Length || clusters.Any(c => c >= k))
            {
                throw new FormatException($"{source} has a word clustering whose terms and clusters disagree.");
            }

            words.Add(new RouterTopics.WordClustering(k, terms, clusters, weights));
            gains.Add(LearnedRouter.ReadFloats(item.GetProperty("gains"), k * heads, source));
        }

        var embeddings = new List<RouterTopics.EmbeddingClustering>();
        foreach (var item in json.GetProperty("embeddings").EnumerateArray())
        {
            var k = Clusters(item, source);
            if (embeddingDimensions == 0)
            {
                throw new FormatException($"{source} has embedding topics but no embedding features.");
            }

            embeddings.Add(new RouterTopics.EmbeddingClustering(k,
                LearnedRouter.Unpack(item.GetProperty("centroids_f32le").GetString() ?? string.Empty, k * embeddingDimensions, source)));
            gains.Add(LearnedRouter.ReadFloats(item.GetProperty("gains"), k * heads, source));
        }

        return new TopicGains(new RouterTopics([.. words], [.. embeddings]), [.. gains], baseline, blend);
    }

    private static int Clusters(JsonElement item, string source)
    {
        var k = item.GetProperty("clusters").GetInt32();
        return k is >= 1 and <= 255 ? k : throw new FormatException($"{source} has a clustering of {k} clusters; 1 to 255 are possible.");
    }

    private static string PackUInts(uint[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), values[i]);
        }

        return Convert.ToBase64String(bytes);
    }

    private static uint[] UnpackUInts(string base64, string source)
    {
        var bytes = Convert.FromBase64String(base64);
        if (bytes.Length % 4 != 0)
        {
            throw new FormatException($"{source} has a damaged term list.");
        }

        var values = new uint[bytes.Length / 4];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i * 4));
        }

        return values;
    }
}
