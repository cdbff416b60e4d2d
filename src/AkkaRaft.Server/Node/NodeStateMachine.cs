using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Akka.Actor;
using AkkaRaft.Client.TimeSeries;
using AkkaRaft.Kv;
using AkkaRaft.Raft.StateMachines;
using AkkaRaft.TimeSeries;
using AkkaRaft.TimeSeries.Actors;

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
/// <para>
/// Two forms, the same answers and snapshot bytes. Built with a <see cref="TimeSeriesStateMachine"/>, both stores are
/// applied in-line (tests, embedders). Built with <see cref="TimeSeriesSettings"/> (what a server node runs), the
/// series live in a <see cref="TimeSeriesActor"/> and its shard actors, children of the peer's state machine actor
/// (<see cref="IChildActorStateMachine"/>): that actor sends them the time-series commands and queries, gathers their
/// part of a snapshot and hands them theirs on a restore; this object then holds only the keys.
/// </para>
/// </remarks>
public sealed class NodeStateMachine : IChildActorStateMachine, IKeyVersions
{
    /// <summary>The snapshot format version this build writes and reads.</summary>
    public const uint SnapshotFormatVersion = 1;

    private static ReadOnlySpan<byte> Magic => "ANSM"u8;

    private static ReadOnlySpan<byte> KvMagic => "AKVS"u8;

    private readonly TimeSeriesSettings _timeSeriesSettings;
    private readonly Props? _childProps;

    /// <summary>Serves keys with <paramref name="kv"/> and series with <paramref name="timeSeries"/>, both in-line.</summary>
    public NodeStateMachine(KvStateMachine kv, TimeSeriesStateMachine timeSeries)
    {
        ArgumentNullException.ThrowIfNull(kv);
        ArgumentNullException.ThrowIfNull(timeSeries);
        Kv = kv;
        TimeSeries = timeSeries;
        _timeSeriesSettings = timeSeries.Settings;
    }

    /// <summary>Serves keys with <paramref name="kv"/> in-line and series in a <see cref="TimeSeriesActor"/> that enforces <paramref name="timeSeries"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A limit in <paramref name="timeSeries"/> is out of its range.</exception>
    public NodeStateMachine(KvStateMachine kv, TimeSeriesSettings timeSeries)
    {
        ArgumentNullException.ThrowIfNull(kv);
        ArgumentNullException.ThrowIfNull(timeSeries);
        _childProps = TimeSeriesActor.Props(timeSeries);
        Kv = kv;
        _timeSeriesSettings = timeSeries;
    }

    /// <summary>The key/value store.</summary>
    public KvStateMachine Kv { get; private set; }

    /// <summary>The time-series store when it is served in-line; null when its actors serve it.</summary>
    public TimeSeriesStateMachine? TimeSeries { get; private set; }

    /// <inheritdoc />
    public Props? ChildProps => _childProps;

    /// <inheritdoc />
    public string ChildName => TimeSeriesActor.Name;

    /// <inheritdoc />
    public bool ServedByChild(ReadOnlySpan<byte> commandOrQuery) => _childProps is not null && TimeSeriesActor.Serves(commandOrQuery);

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">A time-series command, when its actors serve the series.</exception>
    public ApplyResult Apply(in ApplyContext context, ReadOnlyMemory<byte> command) =>
        TsCommands.IsTimeSeries(command.Span) ? InLineTimeSeries("applies a time-series command").Apply(context, command) : Kv.Apply(context, command);

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">A time-series query, when its actors serve the series.</exception>
    public QueryResult Query(ReadOnlyMemory<byte> query) =>
        TsCommands.IsTimeSeries(query.Span) ? InLineTimeSeries("answers a time-series query").Query(query) : Kv.Query(query);

    private TimeSeriesStateMachine InLineTimeSeries(string what) => TimeSeries ?? throw new InvalidOperationException(
        $"This node state machine {what} only in-line; its series live in its time-series actor, and the state machine actor sends it everything time-series (IChildActorStateMachine.ServedByChild).");

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
    /// <exception cref="InvalidOperationException">Its actors serve the series (the snapshot needs their part).</exception>
    public void WriteSnapshot(Stream output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var timeSeries = InLineTimeSeries("writes a snapshot");
        using var part = new MemoryStream();
        timeSeries.WriteSnapshot(part);
        WriteSnapshot(output, part.GetBuffer().AsMemory(0, (int)part.Length));
    }

    /// <inheritdoc />
    public void WriteSnapshot(Stream output, ReadOnlyMemory<byte> childPart)
    {
        ArgumentNullException.ThrowIfNull(output);
        Span<byte> header = stackalloc byte[8];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], SnapshotFormatVersion);
        output.Write(header);
        WritePart(output, Kv.WriteSnapshot);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)childPart.Length);
        output.Write(length);
        output.Write(childPart.Span);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">Its actors serve the series (they must take their part).</exception>
    public void RestoreSnapshot(Stream input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var timeSeries = InLineTimeSeries("restores a snapshot");
        var (kv, ts) = Split(input);
        // Both parts or neither: each is read into a fresh store first, so a bad part changes nothing.
        var checkKv = RestoredKv(kv);
        var checkTs = new TimeSeriesStateMachine(timeSeries.Settings);
        if (ts is { } part)
        {
            using var stream = Reading(part);
            checkTs.RestoreSnapshot(stream);
        }

        Kv = checkKv;
        TimeSeries = checkTs;
    }

    /// <inheritdoc />
    public object RestoreSnapshotWithChild(Stream input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (TimeSeries is not null) throw new InvalidOperationException("This node state machine serves its series in-line: it has no time-series actor to restore.");
        var (kv, ts) = Split(input);
        var checkKv = RestoredKv(kv);
        object toChild;
        if (ts is { } part)
        {
            using var stream = Reading(part);
            toChild = TimeSeriesActor.RestoreMessage(stream, _timeSeriesSettings);
        }
        else
        {
            toChild = TimeSeriesActor.EmptyMessage(_timeSeriesSettings);
        }

        Kv = checkKv;
        return toChild;
    }

    /// <summary>The key/value and time-series parts of a snapshot; no time-series part (null) in a key/value store's own snapshot.</summary>
    private static (ReadOnlyMemory<byte> Kv, ReadOnlyMemory<byte>? Ts) Split(Stream input)
    {
        // The peer hands the snapshot as a stream over its bytes: read them where they are (the state, whole, is tens of MB).
        ReadOnlyMemory<byte> bytes;
        if (input is MemoryStream memory && memory.TryGetBuffer(out var buffer))
        {
            bytes = buffer.AsMemory((int)memory.Position);
        }
        else
        {
            var copy = new MemoryStream();
            input.CopyTo(copy);
            bytes = copy.GetBuffer().AsMemory(0, (int)copy.Length);
        }

        // A snapshot of a node without the time-series store.
        if (bytes.Length >= 4 && bytes.Span[..4].SequenceEqual(KvMagic)) return (bytes, null);

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
        return (kv, ts);
    }

    private KvStateMachine RestoredKv(ReadOnlyMemory<byte> kv)
    {
        var check = new KvStateMachine(Kv.Settings);
        using var stream = Reading(kv);
        check.RestoreSnapshot(stream);
        return check;
    }

    /// <summary>A read-only stream over <paramref name="part"/>'s bytes, without copying them.</summary>
    private static MemoryStream Reading(ReadOnlyMemory<byte> part) =>
        MemoryMarshal.TryGetArray(part, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(part.ToArray(), writable: false);

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
