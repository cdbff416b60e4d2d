using System.Buffers.Binary;
using AkkaRaft.Client.TimeSeries;
using AkkaRaft.Kv;
using AkkaRaft.Raft.StateMachines;
using AkkaRaft.TimeSeries;

namespace AkkaRaft.Server.Node;

/// <summary>
/// What a server node replicates: the key/value store and the time-series store in one Raft group, so one log
/// orders keys and series alike. Commands and queries are routed by their first byte: the time-series ones start with
/// <see cref="TsCommands.Marker"/>, which no key/value command starts with; everything else goes to the key/value store
/// (so logs written before the time-series store existed replay unchanged). Session expiries go to the key/value store,
/// the only one with ephemeral data.
/// </summary>
/// <remarks>
/// The snapshot is the two stores' own snapshots, each behind its length:
/// <code>
/// "ANSM" magic, u32 version (1), u64 key/value length, the key/value snapshot, u64 time-series length, the time-series snapshot
/// </code>
/// (little-endian), each part checked by its own CRC-32C trailer. A snapshot that starts with the key/value store's own
/// magic ("AKVS") was written by a node that had no time-series store: it restores the keys and an empty time-series store.
/// </remarks>
public sealed class NodeStateMachine : IStateMachine, IKeyVersions
{
    /// <summary>The snapshot format version this build writes and reads.</summary>
    public const uint SnapshotFormatVersion = 1;

    private static ReadOnlySpan<byte> Magic => "ANSM"u8;

    private static ReadOnlySpan<byte> KvMagic => "AKVS"u8;

    /// <summary>Serves keys with <paramref name="kv"/> and series with <paramref name="timeSeries"/>.</summary>
    public NodeStateMachine(KvStateMachine kv, TimeSeriesStateMachine timeSeries)
    {
        ArgumentNullException.ThrowIfNull(kv);
        ArgumentNullException.ThrowIfNull(timeSeries);
        Kv = kv;
        TimeSeries = timeSeries;
    }

    /// <summary>The key/value store.</summary>
    public KvStateMachine Kv { get; private set; }

    /// <summary>The time-series store.</summary>
    public TimeSeriesStateMachine TimeSeries { get; private set; }

    /// <inheritdoc />
    public ApplyResult Apply(in ApplyContext context, ReadOnlyMemory<byte> command) =>
        TsCommands.IsTimeSeries(command.Span) ? TimeSeries.Apply(context, command) : Kv.Apply(context, command);

    /// <inheritdoc />
    public QueryResult Query(ReadOnlyMemory<byte> query) =>
        TsCommands.IsTimeSeries(query.Span) ? TimeSeries.Query(query) : Kv.Query(query);

    /// <inheritdoc />
    /// <remarks>Keys only: a series does not remember a change index per key.</remarks>
    public bool TryGetLastChange(string keyOrPrefix, bool prefix, out string key, out ulong index) => Kv.TryGetLastChange(keyOrPrefix, prefix, out key, out index);

    /// <inheritdoc />
    /// <remarks>A series' change is always an append: the series exists.</remarks>
    public bool Exists(string key) =>
        key.StartsWith(TimeSeriesStateMachine.ChangedKeyPrefix, StringComparison.Ordinal) || Kv.TryGetLastChange(key, prefix: false, out _, out _);

    /// <inheritdoc />
    public ApplyResult SessionExpired(in ApplyContext context, long sessionId) => Kv.SessionExpired(context, sessionId);

    /// <inheritdoc />
    public void WriteSnapshot(Stream output)
    {
        ArgumentNullException.ThrowIfNull(output);
        Span<byte> header = stackalloc byte[8];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], SnapshotFormatVersion);
        output.Write(header);
        WritePart(output, Kv.WriteSnapshot);
        WritePart(output, TimeSeries.WriteSnapshot);
    }

    /// <inheritdoc />
    public void RestoreSnapshot(Stream input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var copy = new MemoryStream();
        input.CopyTo(copy);
        var bytes = copy.GetBuffer().AsMemory(0, (int)copy.Length);
        if (bytes.Length >= 4 && bytes.Span[..4].SequenceEqual(KvMagic))
        {
            // A snapshot of a node without the time-series store.
            var empty = new TimeSeriesStateMachine(TimeSeries.Settings);
            using var emptySeries = new MemoryStream();
            empty.WriteSnapshot(emptySeries);
            RestoreBoth(bytes, emptySeries.ToArray());
            return;
        }

        if (bytes.Length < 8 || !bytes.Span[..4].SequenceEqual(Magic))
        {
            throw new InvalidSnapshotException($"The snapshot is not a node snapshot: it starts with {Convert.ToHexString(bytes.Span[..Math.Min(4, bytes.Length)])}, not 'ANSM' (or a key/value snapshot's 'AKVS').");
        }

        var version = BinaryPrimitives.ReadUInt32LittleEndian(bytes.Span[4..]);
        if (version != SnapshotFormatVersion) throw new InvalidSnapshotException($"The node snapshot has format version {version}; this build reads version {SnapshotFormatVersion}.");
        ReadOnlyMemory<byte> rest = bytes[8..];
        var kv = ReadPart(ref rest, "key/value");
        var ts = ReadPart(ref rest, "time-series");
        if (rest.Length > 0) throw new InvalidSnapshotException($"The node snapshot has {rest.Length} bytes after its time-series part.");
        RestoreBoth(kv, ts);
    }

    /// <summary>Restores both parts or neither: each is read into a fresh store first, so a bad part changes nothing.</summary>
    private void RestoreBoth(ReadOnlyMemory<byte> kv, ReadOnlyMemory<byte> ts)
    {
        var checkKv = new KvStateMachine(Kv.Settings);
        using (var stream = new MemoryStream(kv.ToArray(), writable: false)) checkKv.RestoreSnapshot(stream);
        var checkTs = new TimeSeriesStateMachine(TimeSeries.Settings);
        using (var stream = new MemoryStream(ts.ToArray(), writable: false)) checkTs.RestoreSnapshot(stream);
        Kv = checkKv;
        TimeSeries = checkTs;
    }

    private static void WritePart(Stream output, Action<Stream> write)
    {
        using var part = new MemoryStream();
        write(part);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)part.Length);
        output.Write(length);
        part.Position = 0;
        part.CopyTo(output);
    }

    private static ReadOnlyMemory<byte> ReadPart(ref ReadOnlyMemory<byte> rest, string what)
    {
        if (rest.Length < 8) throw new InvalidSnapshotException($"The node snapshot is truncated: the length of its {what} part is missing.");
        var length = BinaryPrimitives.ReadUInt64LittleEndian(rest.Span);
        if (length > (ulong)(rest.Length - 8)) throw new InvalidSnapshotException($"The node snapshot is truncated: its {what} part claims {length} bytes, {rest.Length - 8} remain.");
        var part = rest.Slice(8, (int)length);
        rest = rest[(8 + (int)length)..];
        return part;
    }
}
