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
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters",
        Justification = "The overloads differ in the type of a required parameter (a path or a writer), so calls are never ambiguous.")]
    public static ChatClientBuilder UseTrafficRecording(this ChatClientBuilder builder, TextWriter writer, bool recordMessages = true)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(writer);
        return builder.Use((inner, services) => new TrafficRecordingChatClient(inner, writer, recordMessages,
            services.GetService<ITokenEstimator>(), services.GetService<TimeProvider>()));
    }

    /// <summary>
    /// Records every call as a traffic-log line in the file at <paramref name="path"/> (appended to, created if missing). The
    /// recorder owns the file: each line is flushed when its call returns, and the file is closed when the client is disposed
    /// (with the DI container that built it). Other processes may read the file while it is written.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="path">The traffic log's path.</param>
    /// <param name="recordMessages"><see langword="false"/> records prompt token counts instead of message text.</param>
    /// <returns>The builder.</returns>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters",
        Justification = "The overloads differ in the type of a required parameter (a path or a writer), so calls are never ambiguous.")]
    public static ChatClientBuilder UseTrafficRecording(this ChatClientBuilder builder, string path, bool recordMessages = true)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return builder.Use((inner, services) =>
        {
            var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
            var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
            return new TrafficRecordingChatClient(inner, writer, recordMessages, services.GetService<ITokenEstimator>(), services.GetService<TimeProvider>(), ownsWriter: true);
        });
    }
}
