using System.Globalization;

namespace AkkaRaft.Actors;

/// <summary>Log levels, lowest first.</summary>
public enum LogLevel
{
    /// <summary>Details for debugging.</summary>
    Debug,

    /// <summary>Normal events.</summary>
    Info,

    /// <summary>Something unusual that the system handled.</summary>
    Warning,

    /// <summary>A failure.</summary>
    Error,

    /// <summary>Nothing (only as a threshold).</summary>
    Off,
}

/// <summary>A log event, published on the <see cref="EventStream"/>.</summary>
/// <param name="Level">The level.</param>
/// <param name="Timestamp">When, by the system's clock (virtual under the simulation).</param>
/// <param name="Source">Who logged it (an actor path or a component name).</param>
/// <param name="Message">The formatted message.</param>
/// <param name="Cause">The exception, if any.</param>
public sealed record LogEvent(LogLevel Level, DateTimeOffset Timestamp, string Source, string Message, Exception? Cause)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"[{Level.ToString().ToUpperInvariant()}][{Timestamp:yyyy-MM-ddTHH:mm:ss.fffZ}][{Source}] {Message}" + (Cause is null ? "" : Environment.NewLine + Cause);
}

/// <summary>A simple logger bound to a source; events go to the system's event stream.</summary>
public interface ILoggingAdapter
{
    /// <summary>True when events at <paramref name="level"/> are published.</summary>
    bool IsEnabled(LogLevel level);

    /// <summary>Logs at debug level; <paramref name="format"/> uses <c>{0}</c>-style placeholders.</summary>
    void Debug(string format, params object?[] args);

    /// <summary>Logs at info level.</summary>
    void Info(string format, params object?[] args);

    /// <summary>Logs at warning level.</summary>
    void Warning(string format, params object?[] args);

    /// <summary>Logs at error level.</summary>
    void Error(string format, params object?[] args);

    /// <summary>Logs <paramref name="cause"/> at error level.</summary>
    void Error(Exception cause, string format, params object?[] args);
}

/// <summary>The logger of a system: formats only enabled events and publishes them.</summary>
internal sealed class BusLogger(ActorSystem system, string source) : ILoggingAdapter
{
    public bool IsEnabled(LogLevel level) => level >= system.Settings.LogLevel && level != LogLevel.Off;

    public void Debug(string format, params object?[] args) => Log(LogLevel.Debug, null, format, args);

    public void Info(string format, params object?[] args) => Log(LogLevel.Info, null, format, args);

    public void Warning(string format, params object?[] args) => Log(LogLevel.Warning, null, format, args);

    public void Error(string format, params object?[] args) => Log(LogLevel.Error, null, format, args);

    public void Error(Exception cause, string format, params object?[] args) => Log(LogLevel.Error, cause, format, args);

    private void Log(LogLevel level, Exception? cause, string format, object?[] args)
    {
        if (!IsEnabled(level)) return;
        var message = args.Length == 0 ? format : string.Format(CultureInfo.InvariantCulture, format, args);
        system.EventStream.Publish(new LogEvent(level, system.Clock.UtcNow, source, message, cause));
    }
}

/// <summary>Logging helpers.</summary>
public static class Logging
{
    /// <summary>A logger whose source is this actor's path.</summary>
    public static ILoggingAdapter GetLogger(this IActorContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new BusLogger(context.System, context.Self.Path.ToString());
    }

    /// <summary>A logger with the source <paramref name="source"/>.</summary>
    public static ILoggingAdapter GetLogger(this ActorSystem system, string source)
    {
        ArgumentNullException.ThrowIfNull(system);
        return new BusLogger(system, source);
    }
}
