namespace AkkaRaft.Remote;

/// <summary>Severity of a remoting log line.</summary>
public enum RemoteLogLevel
{
    /// <summary>Routine events: connections opened and closed cleanly.</summary>
    Info,
    /// <summary>Something a peer did wrong, or a connection lost; the process goes on.</summary>
    Warning,
}

/// <summary>Where remoting writes its log lines; one line per closed connection, with its reason.</summary>
public interface IRemoteLog
{
    /// <summary>Writes one line. Must not throw and must be cheap; called from I/O loops.</summary>
    void Log(RemoteLogLevel level, string message);
}

/// <summary>Writes remoting log lines to standard error.</summary>
public sealed class ConsoleRemoteLog : IRemoteLog
{
    /// <summary>The shared instance.</summary>
    public static readonly ConsoleRemoteLog Instance = new();

    /// <inheritdoc />
    public void Log(RemoteLogLevel level, string message) =>
        Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss.fff} {level} remote] {message}");
}
