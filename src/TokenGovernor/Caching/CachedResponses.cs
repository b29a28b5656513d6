using System.Buffers.Binary;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>What the response cache may store, and the copies it stores and serves.</summary>
internal static class CachedResponses
{
    private static readonly byte[] s_magic = "TGC1"u8.ToArray();

    /// <summary>Only complete, plain answers are stored: no tool calls, no errors, no content-filter or length-truncated finish,
    /// no server-side conversation state.</summary>
    public static bool IsStorable(ChatResponse response)
    {
        if (response.FinishReason is { } finish && finish != ChatFinishReason.Stop)
        {
            return false;
        }

        if (response.ConversationId is not null || response.ContinuationToken is not null || response.Messages.Count == 0)
        {
            return false;
        }

        var hasText = false;
        foreach (var message in response.Messages)
        {
            foreach (var content in message.Contents)
            {
                switch (content)
                {
                    case TextContent t:
                        hasText |= !string.IsNullOrWhiteSpace(t.Text);
                        break;
                    case TextReasoningContent or UsageContent:
                        break;
                    default:
                        return false; // tool calls, tool results, errors, media: never stored
                }
            }
        }

        return hasText;
    }

    /// <summary>A private copy holding only what is served: text, reasoning, model, finish reason.</summary>
    public static ChatResponse Copy(ChatResponse response, bool zeroUsage)
    {
        var messages = new List<ChatMessage>(response.Messages.Count);
        foreach (var message in response.Messages)
        {
            var contents = new List<AIContent>(message.Contents.Count);
            foreach (var content in message.Contents)
            {
                switch (content)
                {
                    case TextContent t:
                        contents.Add(new TextContent(t.Text));
                        break;
                    case TextReasoningContent r:
                        contents.Add(new TextReasoningContent(r.Text));
                        break;
                }
            }

            messages.Add(new ChatMessage(message.Role, contents) { AuthorName = message.AuthorName, MessageId = message.MessageId });
        }

        return new ChatResponse(messages)
        {
            ModelId = response.ModelId,
            FinishReason = response.FinishReason,
            CreatedAt = response.CreatedAt,
            ResponseId = response.ResponseId,
            Usage = zeroUsage ? new UsageDetails { InputTokenCount = 0, OutputTokenCount = 0, TotalTokenCount = 0 } : null,
        };
    }

    public static byte[] Serialize(ReadOnlySpan<byte> canonicalKey, decimal cost, ChatResponse response)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(response, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(ChatResponse)));
        var bytes = new byte[4 + 4 + canonicalKey.Length + 16 + json.Length];
        s_magic.CopyTo(bytes, 0);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), canonicalKey.Length);
        canonicalKey.CopyTo(bytes.AsSpan(8));
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(cost, bits);
        for (var i = 0; i < 4; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8 + canonicalKey.Length + (4 * i)), bits[i]);
        }

        json.CopyTo(bytes, 8 + canonicalKey.Length + 16);
        return bytes;
    }

    /// <summary>Reads a stored entry; returns null when it is not ours or its canonical key differs (a hash collision).</summary>
    public static (ChatResponse Response, decimal Cost)? Deserialize(byte[] bytes, ReadOnlySpan<byte> canonicalKey)
    {
        if (bytes.Length < 24 || !bytes.AsSpan(0, 4).SequenceEqual(s_magic))
        {
            return null;
        }

        var keyLength = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4));
        if (keyLength != canonicalKey.Length || bytes.Length < 8 + keyLength + 16 || !bytes.AsSpan(8, keyLength).SequenceEqual(canonicalKey))
        {
            return null;
        }

        Span<int> bits = stackalloc int[4];
        for (var i = 0; i < 4; i++)
        {
            bits[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8 + keyLength + (4 * i)));
        }

        var response = (ChatResponse?)JsonSerializer.Deserialize(bytes.AsSpan(8 + keyLength + 16), AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(ChatResponse)));
        return response is null ? null : (response, new decimal(bits));
    }
}
