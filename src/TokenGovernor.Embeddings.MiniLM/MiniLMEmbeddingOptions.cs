using System.ComponentModel.DataAnnotations;

namespace TokenGovernor.Embeddings.MiniLM;

/// <summary>Options of <see cref="MiniLMEmbeddingGenerator"/>.</summary>
public sealed class MiniLMEmbeddingOptions : IValidatableObject
{
    /// <summary>Gets or sets the path of the ONNX model file.</summary>
    /// <value>Defaults to <see langword="null"/>: <c>minilm/model.onnx</c> under the app's base directory, where this package
    /// copies it at build time.</value>
    public string? ModelPath { get; set; }

    /// <summary>Gets or sets the path of the WordPiece vocabulary (<c>vocab.txt</c>, one token a line).</summary>
    /// <value>Defaults to <see langword="null"/>: <c>minilm/vocab.txt</c> under the app's base directory.</value>
    public string? VocabularyPath { get; set; }

    /// <summary>Gets or sets how many ONNX Runtime sessions run at once. Each holds its own copy of the weights (about 90 MB).</summary>
    /// <value>Defaults to 0: one session per four cores, at least one.</value>
    [Range(0, 64)]
    public int SessionCount { get; set; }

    /// <summary>Gets or sets the threads each session uses inside one run (ONNX Runtime's intra-op threads).</summary>
    /// <value>Defaults to 0: the cores divided among the sessions, at least one.</value>
    [Range(0, 256)]
    public int IntraOpThreads { get; set; }

    /// <summary>Gets or sets the most texts embedded in one ONNX run. Concurrent requests are gathered into runs of up to this many.</summary>
    /// <value>Defaults to 32.</value>
    [Range(1, 1024)]
    public int MaxBatchSize { get; set; } = 32;

    /// <summary>Gets or sets how many tokens of a text, including the <c>[CLS]</c> and <c>[SEP]</c> markers, the model reads;
    /// the rest is cut off (all-MiniLM-L6-v2 was trained on at most 256).</summary>
    /// <value>Defaults to 256.</value>
    [Range(8, 512)]
    public int MaxTokens { get; set; } = 256;

    /// <summary>Gets or sets how long the first request of a batch waits for others to join it when no run is in progress.
    /// Requests that arrive while a run is in progress always join the next run, so under load batches form without waiting.</summary>
    /// <value>Defaults to zero: a lone request runs at once.</value>
    public TimeSpan BatchWindow { get; set; }

    /// <summary>Gets or sets a value indicating whether the constructor runs the model once on every session, so that the first
    /// real request does not pay ONNX Runtime's first-run set-up.</summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool WarmUp { get; set; } = true;

    /// <summary>Gets or sets the clock that times <see cref="BatchWindow"/>.</summary>
    /// <value>Defaults to <see cref="TimeProvider.System"/>.</value>
    [Required]
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (BatchWindow < TimeSpan.Zero || BatchWindow > TimeSpan.FromSeconds(1))
        {
            yield return new ValidationResult(
                $"{nameof(MiniLMEmbeddingOptions)}.{nameof(BatchWindow)} is {BatchWindow}; it must be between zero and one second (a few milliseconds at most is usual).",
                [nameof(BatchWindow)]);
        }
    }

    internal MiniLMEmbeddingOptions Clone() => (MiniLMEmbeddingOptions)MemberwiseClone();
}
