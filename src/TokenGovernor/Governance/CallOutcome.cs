using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>How an admitted call ended, as one governed layer saw it.</summary>
internal readonly struct CallOutcome
{
    public CallOutcome(ChatResponse? response, Exception? failure, bool completed, bool received, bool cancelled, MeteredSince metered)
    {
        Response = response;
        Failure = failure;
        Completed = completed;
        Received = received;
        Cancelled = cancelled;
        Metered = metered;
    }

    /// <summary>Gets the response: the whole one, or what a stream delivered before it ended (when the layer collected it); else <see langword="null"/>.</summary>
    public ChatResponse? Response { get; }

    /// <summary>Gets the exception the inner call failed with, or <see langword="null"/>.</summary>
    public Exception? Failure { get; }

    /// <summary>Gets a value indicating whether the call ran to its end (a stream was read to its last update).</summary>
    public bool Completed { get; }

    /// <summary>Gets a value indicating whether anything came back (a response, or at least one streamed update).</summary>
    public bool Received { get; }

    /// <summary>Gets a value indicating whether the caller's token asked for cancellation.</summary>
    public bool Cancelled { get; }

    /// <summary>Gets what metering recorded below this layer during the call.</summary>
    public MeteredSince Metered { get; }
}
