using Microsoft.Extensions.DependencyInjection;
using TokenGovernor;

namespace Microsoft.Extensions.AI;

/// <summary>Adds <see cref="TrafficRecordingChatClient"/> to a chat pipeline.</summary>
public static class TrafficRecordingChatClientBuilderExtensions
{
    /// <summary>Records every call as a traffic-log line for <c>tokengov replay</c>. Add it before <c>UseTokenGovernor</c> so it is outermost.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="writer">Where lines go; the caller owns, flushes and disposes it.</param>
    /// <param name="recordMessages"><see langword="false"/> records prompt token counts instead of message text.</param>
    /// <returns>The builder.</returns>
    public static ChatClientBuilder UseTrafficRecording(this ChatClientBuilder builder, TextWriter writer, bool recordMessages = true)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(writer);
        return builder.Use((inner, services) => new TrafficRecordingChatClient(inner, writer, recordMessages,
            services.GetService<ITokenEstimator>(), services.GetService<TimeProvider>()));
    }
}
