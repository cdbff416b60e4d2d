using AkkaRaft.Configuration;

namespace AkkaRaft.Raft.Peer.Snapshots;

/// <summary>
/// How snapshots travel between the peers of a server (keys of <c>akkaraft.raft</c>): the snapshot port each node
/// listens on, the chunking and its limits, and how many old snapshot files are kept. Read once, validated.
/// </summary>
/// <param name="Listener">host:port of the snapshot port (<c>snapshot-listener</c>); empty host: the host of the node's
/// Raft address; port 0: a free port, announced in the snapshot offers.</param>
/// <param name="ChunkBytes">Bytes per CRC-checked chunk this node sends (<c>snapshot-chunk-bytes</c>).</param>
/// <param name="MaxChunkBytes">Largest chunk this node accepts from a leader (<c>max-snapshot-chunk-bytes</c>).</param>
/// <param name="IdleTimeout">Longest wait for the next bytes on a snapshot connection, either side (<c>snapshot-idle-timeout</c>).</param>
/// <param name="MaxConnections">Most connections the snapshot port serves at once; more are closed at once (<c>max-snapshot-connections</c>).</param>
/// <param name="Backup">Keep the last <paramref name="BackupCount"/> snapshots as files (<c>snapshot-backup</c>).</param>
/// <param name="BackupCount">How many snapshot files <paramref name="Backup"/> keeps (<c>snapshot-backup-count</c>).</param>
public sealed record SnapshotTransferSettings(
    string Listener,
    int ChunkBytes,
    int MaxChunkBytes,
    TimeSpan IdleTimeout,
    int MaxConnections,
    bool Backup,
    int BackupCount)
{
    /// <summary>Smallest chunk of the protocol: bounds the CRC table a transfer starts with to 1/1024 of the snapshot.</summary>
    public const int ChunkBytesMin = 4 * 1024;

    /// <summary>Largest chunk: one chunk is one buffer on the receiving side.</summary>
    public const int ChunkBytesMax = 64 * 1024 * 1024;

    /// <summary>The defaults of reference.conf.</summary>
    public static SnapshotTransferSettings Defaults { get; } = new(":0", 1024 * 1024, 16 * 1024 * 1024, TimeSpan.FromSeconds(10), 8, false, 3);

    /// <summary>How many snapshot files the node keeps: the last <see cref="BackupCount"/> with backup on, else the newest only.</summary>
    public int KeepFiles => Backup ? BackupCount : 1;

    /// <summary>Reads the keys from <c>akkaraft.raft</c>.</summary>
    /// <exception cref="ConfigException">A setting is missing, malformed or out of range.</exception>
    public static SnapshotTransferSettings FromConfig(Config config, string section)
    {
        ArgumentNullException.ThrowIfNull(config);
        var listenerKey = section + ".snapshot-listener";
        var listener = config.GetString(listenerKey).Trim();
        if (!TrySplit(listener, out _, out _)) throw config.Invalid(listenerKey, $"expected host:port or :port, got '{listener}'");
        var chunk = config.GetByteSizeInt32(section + ".snapshot-chunk-bytes", ChunkBytesMin, ChunkBytesMax);
        var maxChunk = config.GetByteSizeInt32(section + ".max-snapshot-chunk-bytes", ChunkBytesMin, ChunkBytesMax);
        if (maxChunk < chunk)
        {
            throw config.Invalid(section + ".max-snapshot-chunk-bytes", $"expected at least snapshot-chunk-bytes ({chunk}), got {maxChunk}");
        }

        return new SnapshotTransferSettings(
            listener,
            chunk,
            maxChunk,
            config.GetTimeSpanInRange(section + ".snapshot-idle-timeout", TimeSpan.FromMilliseconds(1)),
            config.GetIntInRange(section + ".max-snapshot-connections", 1, 1024),
            config.GetBoolean(section + ".snapshot-backup"),
            config.GetIntInRange(section + ".snapshot-backup-count", 1, 1000));
    }

    /// <summary>The host and port of <see cref="Listener"/>, the host defaulting to <paramref name="defaultHost"/>.</summary>
    public (string Host, int Port) ListenerEndpoint(string defaultHost)
    {
        TrySplit(Listener, out var host, out var port);
        return (host.Length == 0 ? defaultHost : host, port);
    }

    private static bool TrySplit(string text, out string host, out int port)
    {
        host = "";
        port = 0;
        var colon = text.LastIndexOf(':');
        if (colon < 0) return false;
        host = text[..colon].Trim('[', ']');
        return int.TryParse(text[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port)
            && port <= 65535 && !host.Any(char.IsWhiteSpace);
    }
}
