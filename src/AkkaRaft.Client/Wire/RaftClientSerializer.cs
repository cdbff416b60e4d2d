using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;
using AkkaRaft.Client.TimeSeries;
using AkkaRaft.Client.Typed;
using AkkaRaft.Client.Wire.Protocol;
using Google.Protobuf;

namespace AkkaRaft.Client.Wire;

/// <summary>
/// Protobuf forms (<c>Wire/raft_client.proto</c>) of the client protocol, one message per record with a short
/// manifest that names it (the hot path, writes and reads, spends one or two bytes on it). No type names travel, except
/// inside the typed messages' payloads, which Hyperion writes (<see cref="PayloadSerialization"/>).
/// Bound to <see cref="IRaftClientMessage"/> in <see cref="ClientConfig.Default"/> and in the server's <c>reference.conf</c>.
/// </summary>
/// <remarks>
/// <para>
/// An unknown manifest, a payload that does not parse, or an enum value no sender writes is a
/// <see cref="SerializationException"/>: Akka.Remote drops that one message and keeps the connection.
/// </para>
/// <para>
/// A <see cref="TypedWrite"/> or <see cref="TypedQuery"/> that arrives keeps its object serialized (a
/// <see cref="SerializedPayload"/>): the node that receives it routes it unread, and the peer that serves it reads it
/// under its own allowed types. An answer (<see cref="TypedWriteResult"/>, <see cref="TypedQueryResponse"/>) is read
/// here, with this system's Hyperion settings; an answer it refuses is a <see cref="SerializationException"/> that
/// names the type and the setting, and the app's Ask times out.
/// </para>
/// </remarks>
public sealed class RaftClientSerializer : SerializerWithStringManifest
{
    /// <summary>This serializer's identifier on the wire (<c>akka.actor.serialization-identifiers</c>).</summary>
    public const int Id = 103;

    private const string WriteManifest = "W";
    private const string WriteResultManifest = "WR";
    private const string QueryManifest = "Q";
    private const string QueryResponseManifest = "QR";
    private const string NotLeaderManifest = "NL";
    private const string OverloadedManifest = "OL";
    private const string TimedOutManifest = "TO";
    private const string RejectedManifest = "RJ";
    private const string AddVoterManifest = "AV";
    private const string RemoveVoterManifest = "RV";
    private const string MembershipChangedManifest = "MC";
    private const string AddLearnerManifest = "AL";
    private const string SetConfigurationManifest = "SC";
    private const string ConfigurationMismatchManifest = "CX";
    private const string ConfigurationChangeInProgressManifest = "CP";
    private const string TransferLeadershipManifest = "TL";
    private const string GetPeerStatusManifest = "GS";
    private const string PeerStatusManifest = "PS";
    private const string GetClusterMembersManifest = "GM";
    private const string ClusterMembersManifest = "CM";
    private const string TypedWriteManifest = "TW";
    private const string TypedWriteResultManifest = "TWR";
    private const string TypedQueryManifest = "TQ";
    private const string TypedQueryResponseManifest = "TQR";
    private const string StorageUnavailableManifest = "SU";
    private const string PutTimeDataManifest = "PT";
    private const string PutTimeDataBatchManifest = "PTB";
    private const string GetTimeDataManifest = "GT";
    private const string TimeDataWrittenManifest = "TDW";
    private const string TimeDataManifest = "TD";
    private const string TimeDataRefusedManifest = "TDR";

    /// <summary>Created by Akka's serialization extension from the configuration.</summary>
    public RaftClientSerializer(ExtendedActorSystem system) : base(system)
    {
    }

    /// <inheritdoc />
    public override int Identifier => Id;

    /// <inheritdoc />
    public override string Manifest(object o) => o switch
    {
        Write => WriteManifest,
        WriteResult => WriteResultManifest,
        Query => QueryManifest,
        QueryResponse => QueryResponseManifest,
        NotLeader => NotLeaderManifest,
        Overloaded => OverloadedManifest,
        RequestTimedOut => TimedOutManifest,
        RequestRejected => RejectedManifest,
        AddVoter => AddVoterManifest,
        RemoveVoter => RemoveVoterManifest,
        MembershipChanged => MembershipChangedManifest,
        AddLearner => AddLearnerManifest,
        SetConfiguration => SetConfigurationManifest,
        ConfigurationMismatch => ConfigurationMismatchManifest,
        ConfigurationChangeInProgress => ConfigurationChangeInProgressManifest,
        TransferLeadership => TransferLeadershipManifest,
        GetPeerStatus => GetPeerStatusManifest,
        PeerStatus => PeerStatusManifest,
        GetClusterMembers => GetClusterMembersManifest,
        ClusterMembers => ClusterMembersManifest,
        TypedWrite => TypedWriteManifest,
        TypedWriteResult => TypedWriteResultManifest,
        TypedQuery => TypedQueryManifest,
        TypedQueryResponse => TypedQueryResponseManifest,
        StorageUnavailable => StorageUnavailableManifest,
        PutTimeData => PutTimeDataManifest,
        PutTimeDataBatch => PutTimeDataBatchManifest,
        GetTimeData => GetTimeDataManifest,
        TimeDataWritten => TimeDataWrittenManifest,
        TimeData => TimeDataManifest,
        TimeDataRefused => TimeDataRefusedManifest,
        _ => throw Unknown(o),
    };

    /// <inheritdoc />
    public override byte[] ToBinary(object obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return obj switch
        {
            Write m => new WriteMessage
            {
                Command = ByteString.CopyFrom(m.Command), TimeoutMs = Millis(m.Timeout), RejectWhenNotLeader = m.OnNotLeader == NotLeaderPolicy.Reject, Hops = m.Hops,
                SessionId = m.SessionId, Sequence = m.Sequence, AcknowledgedBelow = m.AcknowledgedBelow,
            }.ToByteArray(),
            WriteResult m => new WriteResultMessage { Response = ByteString.CopyFrom(m.Response.Span), Index = m.Index, Leader = m.Leader, Term = m.Term }.ToByteArray(),
            Query m => new QueryMessage
            {
                Bytes = ByteString.CopyFrom(m.Bytes), Level = (uint)m.Level, TimeoutMs = Millis(m.Timeout),
                RejectWhenNotLeader = m.OnNotLeader == NotLeaderPolicy.Reject, Hops = m.Hops,
            }.ToByteArray(),
            QueryResponse m => new QueryResponseMessage
            {
                Response = ByteString.CopyFrom(m.Response.Span), AppliedIndex = m.AppliedIndex, Leader = m.Leader, ServedBy = (uint)m.ServedBy, Term = m.Term,
            }.ToByteArray(),
            NotLeader m => new NotLeaderMessage { LeaderHint = m.LeaderHint, Reason = m.Reason }.ToByteArray(),
            Overloaded m => new ReasonMessage { Reason = m.Reason }.ToByteArray(),
            RequestTimedOut m => new TimedOutMessage { AfterMs = (long)m.After.TotalMilliseconds }.ToByteArray(),
            RequestRejected m => new ReasonMessage { Reason = m.Reason }.ToByteArray(),
            AddVoter m => new MembershipMessage { NodeId = m.NodeId, TimeoutMs = Millis(m.Timeout) }.ToByteArray(),
            RemoveVoter m => new MembershipMessage { NodeId = m.NodeId, TimeoutMs = Millis(m.Timeout) }.ToByteArray(),
            MembershipChanged m => ToProto(m).ToByteArray(),
            AddLearner m => new AddLearnerMessage { NodeId = m.NodeId, PromoteWhenCaughtUp = m.PromoteWhenCaughtUp, TimeoutMs = Millis(m.Timeout) }.ToByteArray(),
            SetConfiguration m => ToProto(m).ToByteArray(),
            ConfigurationMismatch m => new ConfigurationMessage { Voters = { m.Voters }, Learners = { m.Learners } }.ToByteArray(),
            ConfigurationChangeInProgress m => new ReasonMessage { Reason = m.Reason }.ToByteArray(),
            TransferLeadership m => new TransferLeadershipMessage { Target = m.Target }.ToByteArray(),
            GetPeerStatus or GetClusterMembers => [],
            PeerStatus m => ToProto(m).ToByteArray(),
            ClusterMembers m => ToProto(m).ToByteArray(),
            TypedWrite m => new TypedWriteMessage
            {
                Command = ToProto(m.Command), TimeoutMs = Millis(m.Timeout), RejectWhenNotLeader = m.OnNotLeader == NotLeaderPolicy.Reject, Hops = m.Hops,
            }.ToByteArray(),
            TypedWriteResult m => new TypedWriteResultMessage { Response = ToProto(m.Response), Index = m.Index, Leader = m.Leader }.ToByteArray(),
            TypedQuery m => new TypedQueryMessage
            {
                Query = ToProto(m.Query), Level = (uint)m.Level, TimeoutMs = Millis(m.Timeout), RejectWhenNotLeader = m.OnNotLeader == NotLeaderPolicy.Reject, Hops = m.Hops,
            }.ToByteArray(),
            TypedQueryResponse m => new TypedQueryResponseMessage
            {
                Response = ToProto(m.Response), AppliedIndex = m.AppliedIndex, Leader = m.Leader, ServedBy = (uint)m.ServedBy,
            }.ToByteArray(),
            StorageUnavailable m => new StorageUnavailableMessage { Reason = m.Reason, OutOfSpace = m.OutOfSpace }.ToByteArray(),
            PutTimeData m => new TimeDataWriteMessage
            {
                Command = ByteString.CopyFrom(TsCommands.Append(m.Series, m.Timestamp, m.Value, m.Unit)), TimeoutMs = Millis(m.Timeout), RejectWhenNotLeader = m.OnNotLeader == NotLeaderPolicy.Reject,
            }.ToByteArray(),
            PutTimeDataBatch m => new TimeDataWriteMessage
            {
                Command = ByteString.CopyFrom(TsCommands.AppendMany(m.Series, m.Unit)), TimeoutMs = Millis(m.Timeout), RejectWhenNotLeader = m.OnNotLeader == NotLeaderPolicy.Reject,
            }.ToByteArray(),
            GetTimeData m => ToProto(m).ToByteArray(),
            TimeDataWritten m => new TimeDataWrittenMessage { Appended = m.Appended, Duplicates = m.Duplicates, Index = m.Index, Leader = m.Leader }.ToByteArray(),
            TimeData m => ToProto(m).ToByteArray(),
            TimeDataRefused m => new TimeDataRefusedMessage { Status = (uint)m.Status, Reason = m.Reason, Series = m.Series ?? "", OldestAccepted = m.OldestAccepted }.ToByteArray(),
            _ => throw Unknown(obj),
        };
    }

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        try
        {
            return manifest switch
            {
                WriteManifest => FromProto(WriteMessage.Parser.ParseFrom(bytes)),
                WriteResultManifest => FromProto(WriteResultMessage.Parser.ParseFrom(bytes)),
                QueryManifest => FromProto(QueryMessage.Parser.ParseFrom(bytes)),
                QueryResponseManifest => FromProto(QueryResponseMessage.Parser.ParseFrom(bytes)),
                NotLeaderManifest => FromProto(NotLeaderMessage.Parser.ParseFrom(bytes)),
                OverloadedManifest => new Overloaded(ReasonMessage.Parser.ParseFrom(bytes).Reason),
                TimedOutManifest => new RequestTimedOut(TimeSpan.FromMilliseconds(TimedOutMessage.Parser.ParseFrom(bytes).AfterMs)),
                RejectedManifest => new RequestRejected(ReasonMessage.Parser.ParseFrom(bytes).Reason),
                AddVoterManifest => FromProtoAdd(MembershipMessage.Parser.ParseFrom(bytes)),
                RemoveVoterManifest => FromProtoRemove(MembershipMessage.Parser.ParseFrom(bytes)),
                MembershipChangedManifest => FromProto(MembershipChangedMessage.Parser.ParseFrom(bytes)),
                AddLearnerManifest => FromProto(AddLearnerMessage.Parser.ParseFrom(bytes)),
                SetConfigurationManifest => FromProto(SetConfigurationMessage.Parser.ParseFrom(bytes)),
                ConfigurationMismatchManifest => FromProto(ConfigurationMessage.Parser.ParseFrom(bytes)),
                ConfigurationChangeInProgressManifest => new ConfigurationChangeInProgress(ReasonMessage.Parser.ParseFrom(bytes).Reason),
                TransferLeadershipManifest => new TransferLeadership(TransferLeadershipMessage.Parser.ParseFrom(bytes).Target),
                GetPeerStatusManifest => GetPeerStatus.Instance,
                PeerStatusManifest => FromProto(PeerStatusMessage.Parser.ParseFrom(bytes)),
                GetClusterMembersManifest => GetClusterMembers.Instance,
                ClusterMembersManifest => FromProto(ClusterMembersMessage.Parser.ParseFrom(bytes)),
                TypedWriteManifest => FromProto(TypedWriteMessage.Parser.ParseFrom(bytes)),
                TypedWriteResultManifest => FromProto(TypedWriteResultMessage.Parser.ParseFrom(bytes)),
                TypedQueryManifest => FromProto(TypedQueryMessage.Parser.ParseFrom(bytes)),
                TypedQueryResponseManifest => FromProto(TypedQueryResponseMessage.Parser.ParseFrom(bytes)),
                StorageUnavailableManifest => FromProto(StorageUnavailableMessage.Parser.ParseFrom(bytes)),
                PutTimeDataManifest => FromProtoPut(TimeDataWriteMessage.Parser.ParseFrom(bytes)),
                PutTimeDataBatchManifest => FromProtoBatch(TimeDataWriteMessage.Parser.ParseFrom(bytes)),
                GetTimeDataManifest => FromProto(GetTimeDataMessage.Parser.ParseFrom(bytes)),
                TimeDataWrittenManifest => FromProto(TimeDataWrittenMessage.Parser.ParseFrom(bytes)),
                TimeDataManifest => FromProto(TimeDataMessage.Parser.ParseFrom(bytes)),
                TimeDataRefusedManifest => FromProto(TimeDataRefusedMessage.Parser.ParseFrom(bytes)),
                _ => throw new SerializationException($"The Raft client serializer has no manifest '{manifest}'."),
            };
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new SerializationException($"A Raft client message (manifest '{manifest}', {bytes.Length} bytes) does not parse: {e.Message}", e);
        }
    }

    // ------------------------------------------------------------------ requests and answers

    private static StorageUnavailable FromProto(StorageUnavailableMessage m) => new(m.Reason, m.OutOfSpace);

    /// <summary>The series and points of a time-series append, as PutTimeData and PutTimeDataBatch carry it.</summary>
    private static (List<KeyValuePair<string, IReadOnlyList<TimePoint>>> Series, TimeUnit Unit) ReadAppend(ByteString command)
    {
        var bytes = command.Span;
        if (!TsCommands.IsTimeSeries(bytes)) throw new SerializationException("A time-series write does not start with the time-series marker.");
        var parsed = TimeSeries.Protocol.TsCommand.Parser.ParseFrom(bytes[1..]);
        if (parsed.OpCase != TimeSeries.Protocol.TsCommand.OpOneofCase.Append) throw new SerializationException("A time-series write carries no append.");
        var unit = TimeUnit.Seconds;
        var series = new List<KeyValuePair<string, IReadOnlyList<TimePoint>>>();
        foreach (var one in parsed.Append.Series)
        {
            var points = PointsOf(one);
            unit = one.Milliseconds ? TimeUnit.Milliseconds : TimeUnit.Seconds;
            series.Add(new(one.Name.ToStringUtf8(), points));
        }

        return (series, unit);
    }

    private static TimePoint[] PointsOf(TimeSeries.Protocol.SeriesPoints one)
    {
        if (!one.Packed.IsEmpty && (one.Timestamps.Count > 0 || one.Values.Count > 0))
        {
            throw new SerializationException("A time-series write has a series that gives its points both packed and unpacked.");
        }

        if (one.Packed.IsEmpty)
        {
            if (one.Timestamps.Count != one.Values.Count) throw new SerializationException("A time-series write has a series with more timestamps than values, or fewer.");
            var given = new TimePoint[one.Timestamps.Count];
            for (var i = 0; i < given.Length; i++) given[i] = new TimePoint(one.Timestamps[i], one.Values[i]);
            return given;
        }

        if (!PointPacking.TryReadCount(one.Packed.Span, out var count)) throw new SerializationException("A time-series write has a series whose packed points are malformed.");
        var points = new TimePoint[count];
        if (!PointPacking.TryUnpack(one.Packed.Span, points)) throw new SerializationException("A time-series write has a series whose packed points are malformed.");
        return points;
    }

    private static PutTimeData FromProtoPut(TimeDataWriteMessage m)
    {
        var (series, unit) = ReadAppend(m.Command);
        if (series.Count != 1 || series[0].Value.Count != 1) throw new SerializationException("A PutTimeData carries other than one point of one series.");
        var point = series[0].Value[0];
        return new PutTimeData(series[0].Key, point.Timestamp, point.Value, unit, Duration(m.TimeoutMs), Policy(m.RejectWhenNotLeader));
    }

    private static PutTimeDataBatch FromProtoBatch(TimeDataWriteMessage m)
    {
        var (series, unit) = ReadAppend(m.Command);
        return new PutTimeDataBatch(series, unit, Duration(m.TimeoutMs), Policy(m.RejectWhenNotLeader));
    }

    private static GetTimeDataMessage ToProto(GetTimeData m)
    {
        var proto = new GetTimeDataMessage
        {
            Series = m.Series, Level = (uint)m.Level, Milliseconds = m.Unit == TimeUnit.Milliseconds, TimeoutMs = Millis(m.Timeout), RejectWhenNotLeader = m.OnNotLeader == NotLeaderPolicy.Reject,
        };
        if (m.From is { } from) proto.From = from;
        if (m.To is { } to) proto.To = to;
        return proto;
    }

    private static GetTimeData FromProto(GetTimeDataMessage m) => new(
        m.Series, m.HasFrom ? m.From : null, m.HasTo ? m.To : null, m.Level <= (uint)ReadLevel.Consistent ? (ReadLevel)m.Level : throw Bad("read level", m.Level), m.Milliseconds ? TimeUnit.Milliseconds : TimeUnit.Seconds,
        Duration(m.TimeoutMs), Policy(m.RejectWhenNotLeader));

    private static TimeDataWritten FromProto(TimeDataWrittenMessage m) => new(m.Appended, m.Duplicates, m.Index, m.Leader);

    private static TimeDataMessage ToProto(TimeData m)
    {
        var proto = new TimeDataMessage { Series = m.Series, Milliseconds = m.Unit == TimeUnit.Milliseconds, AppliedIndex = m.AppliedIndex, Leader = m.Leader };
        foreach (var p in m.Points)
        {
            proto.Timestamps.Add(p.Timestamp);
            proto.Values.Add(p.Value);
        }

        return proto;
    }

    private static TimeData FromProto(TimeDataMessage m)
    {
        if (m.Timestamps.Count != m.Values.Count) throw new SerializationException("A TimeData has more timestamps than values, or fewer.");
        var points = new TimePoint[m.Timestamps.Count];
        for (var i = 0; i < points.Length; i++) points[i] = new TimePoint(m.Timestamps[i], m.Values[i]);
        return new TimeData(m.Series, m.Milliseconds ? TimeUnit.Milliseconds : TimeUnit.Seconds, points, m.AppliedIndex, m.Leader);
    }

    private static TimeDataRefused FromProto(TimeDataRefusedMessage m) =>
        Enum.IsDefined((TsStatus)m.Status) && m.Status != 0
            ? new TimeDataRefused((TsStatus)m.Status, m.Reason, m.Series.Length == 0 ? null : m.Series, m.OldestAccepted)
            : throw new SerializationException($"A TimeDataRefused has status {m.Status}, which no sender writes.");

    private static Write FromProto(WriteMessage w) =>
        new(w.Command.ToByteArray(), Duration(w.TimeoutMs), Policy(w.RejectWhenNotLeader))
        {
            Hops = Hops(w.Hops), SessionId = w.SessionId, Sequence = w.Sequence, AcknowledgedBelow = w.AcknowledgedBelow,
        };

    private static WriteResult FromProto(WriteResultMessage w) => new(w.Response.ToByteArray(), w.Index, w.Leader) { Term = w.Term };

    private static Query FromProto(QueryMessage w) =>
        new(w.Bytes.ToByteArray(), w.Level <= (uint)ReadLevel.Consistent ? (ReadLevel)w.Level : throw Bad("read level", w.Level), Duration(w.TimeoutMs), Policy(w.RejectWhenNotLeader)) { Hops = Hops(w.Hops) };

    private static QueryResponse FromProto(QueryResponseMessage w) =>
        new(w.Response.ToByteArray(), w.AppliedIndex, w.Leader, w.ServedBy <= (uint)ReadPath.FollowerReadIndex ? (ReadPath)w.ServedBy : throw Bad("read path", w.ServedBy)) { Term = w.Term };

    private static NotLeader FromProto(NotLeaderMessage w) => new(w.LeaderHint, w.Reason);

    private static AddVoter FromProtoAdd(MembershipMessage w) => new(w.NodeId, Duration(w.TimeoutMs));

    private static RemoveVoter FromProtoRemove(MembershipMessage w) => new(w.NodeId, Duration(w.TimeoutMs));

    private static MembershipChangedMessage ToProto(MembershipChanged m)
    {
        var wire = new MembershipChangedMessage { Index = m.Index };
        wire.Voters.AddRange(m.Voters);
        wire.Learners.AddRange(m.Learners);
        return wire;
    }

    private static MembershipChanged FromProto(MembershipChangedMessage w) => new(w.Index, w.Voters.ToArray()) { Learners = w.Learners.ToArray() };

    private static AddLearner FromProto(AddLearnerMessage w) => new(w.NodeId, w.PromoteWhenCaughtUp, Duration(w.TimeoutMs));

    private static SetConfigurationMessage ToProto(SetConfiguration m)
    {
        var wire = new SetConfigurationMessage { HasExpect = m.ExpectVoters is not null, TimeoutMs = Millis(m.Timeout) };
        wire.Voters.AddRange(m.Voters);
        wire.Learners.AddRange(m.Learners);
        if (m.ExpectVoters is { } expect) wire.ExpectVoters.AddRange(expect);
        return wire;
    }

    private static SetConfiguration FromProto(SetConfigurationMessage w) =>
        new(w.Voters.ToArray(), w.Learners.ToArray(), w.HasExpect ? w.ExpectVoters.ToArray() : null, Duration(w.TimeoutMs));

    private static ConfigurationMismatch FromProto(ConfigurationMessage w) => new(w.Voters.ToArray(), w.Learners.ToArray());

    // ------------------------------------------------------------------ typed requests and answers

    private static TypedWrite FromProto(TypedWriteMessage w) =>
        new(Payload(w.Command, "typed write"), Duration(w.TimeoutMs), Policy(w.RejectWhenNotLeader)) { Hops = Hops(w.Hops) };

    private TypedWriteResult FromProto(TypedWriteResultMessage w) =>
        new(PayloadSerialization.Get(system).Deserialize(Payload(w.Response, "typed write result")), w.Index, w.Leader);

    private static TypedQuery FromProto(TypedQueryMessage w) =>
        new(Payload(w.Query, "typed query"), w.Level <= (uint)ReadLevel.Consistent ? (ReadLevel)w.Level : throw Bad("read level", w.Level), Duration(w.TimeoutMs),
            Policy(w.RejectWhenNotLeader)) { Hops = Hops(w.Hops) };

    private TypedQueryResponse FromProto(TypedQueryResponseMessage w) =>
        new(PayloadSerialization.Get(system).Deserialize(Payload(w.Response, "typed query response")), w.AppliedIndex, w.Leader,
            w.ServedBy <= (uint)ReadPath.FollowerReadIndex ? (ReadPath)w.ServedBy : throw Bad("read path", w.ServedBy));

    /// <summary>A user's object as it crosses the wire: as it is when it is serialized already (a request a node passes on), else serialized now.</summary>
    private PayloadMessage ToProto(object value)
    {
        var payload = value as SerializedPayload ?? PayloadSerialization.Get(system).Serialize(value);
        return new PayloadMessage { SerializerId = payload.SerializerId, Manifest = payload.Manifest, Bytes = ByteString.CopyFrom(payload.Bytes) };
    }

    private static SerializedPayload Payload(PayloadMessage? w, string what) =>
        w is null ? throw new SerializationException($"A {what} arrived without its payload.") : new SerializedPayload(w.SerializerId, w.Manifest, w.Bytes.ToByteArray());

    // ------------------------------------------------------------------ status and members

    private static PeerStatusMessage ToProto(PeerStatus m)
    {
        var wire = new PeerStatusMessage
        {
            NodeId = m.NodeId, Role = (uint)m.Role, Term = m.Term, Leader = m.Leader, CommitIndex = m.CommitIndex, AppliedIndex = m.AppliedIndex,
            FirstIndex = m.FirstIndex, LastIndex = m.LastIndex, JournalBatches = m.Counters.JournalBatches,
            EntriesPersisted = m.Counters.EntriesPersisted, EntriesApplied = m.Counters.EntriesApplied, SnapshotsSaved = m.Counters.SnapshotsSaved,
            SnapshotsInstalled = m.Counters.SnapshotsInstalled, RecoveredEvents = m.Counters.RecoveredEvents,
            CommitLatency = new CommitLatencyMessage { SumUs = m.CommitLatency.Sum.Ticks / TimeSpan.TicksPerMicrosecond, Count = m.CommitLatency.Count },
        };
        wire.Voters.AddRange(m.Voters);
        wire.CommitLatency.BucketCounts.AddRange(m.CommitLatency.BucketCounts);
        foreach (var member in m.Members)
        {
            var progress = member.Progress is { } p ? new ReplicationProgressMessage { State = (uint)p.State, Match = p.Match, Next = p.Next } : null;
            wire.Members.Add(new MemberProgressMessage { NodeId = member.NodeId, IsVoter = member.IsVoter, Progress = progress });
        }

        return wire;
    }

    private static PeerStatus FromProto(PeerStatusMessage w)
    {
        var members = new MemberProgress[w.Members.Count];
        for (var i = 0; i < members.Length; i++)
        {
            var m = w.Members[i];
            var progress = m.Progress is { } p ? new ReplicationProgress(p.State <= (uint)ProgressState.Snapshot ? (ProgressState)p.State : throw Bad("replication state", p.State), p.Match, p.Next) : null;
            members[i] = new MemberProgress(m.NodeId, m.IsVoter, progress);
        }

        return new PeerStatus(w.NodeId, w.Role <= (uint)RaftRole.Leader ? (RaftRole)w.Role : throw Bad("role", w.Role), w.Term, w.Leader, w.CommitIndex, w.AppliedIndex, w.FirstIndex, w.LastIndex,
            w.Voters.ToArray(),
            new RaftPeerCounters(w.JournalBatches, w.EntriesPersisted, w.EntriesApplied, w.SnapshotsSaved, w.SnapshotsInstalled, w.RecoveredEvents))
        {
            Members = members,
            CommitLatency = FromProto(w.CommitLatency),
        };
    }

    private static CommitLatencyHistogram FromProto(CommitLatencyMessage? w)
    {
        if (w is null || w.BucketCounts.Count == 0) return CommitLatencyHistogram.Empty;
        var buckets = CommitLatencyHistogram.BucketBoundsSeconds.Count + 1;
        if (w.BucketCounts.Count != buckets)
        {
            throw new SerializationException($"A commit latency histogram arrived with {w.BucketCounts.Count} buckets; there are {buckets}.");
        }

        return new CommitLatencyHistogram(w.BucketCounts.ToArray(), TimeSpan.FromTicks(w.SumUs * TimeSpan.TicksPerMicrosecond), w.Count);
    }

    private static ClusterMembersMessage ToProto(ClusterMembers m)
    {
        var wire = new ClusterMembersMessage();
        foreach (var member in m.Members)
        {
            wire.Members.Add(new ClusterMemberMessage { NodeId = member.NodeId, Name = member.Name, RaftAddress = member.RaftAddress, HttpAddress = member.HttpAddress });
        }

        return wire;
    }

    private static ClusterMembers FromProto(ClusterMembersMessage w)
    {
        var members = new ClusterMember[w.Members.Count];
        for (var i = 0; i < members.Length; i++)
        {
            var m = w.Members[i];
            members[i] = new ClusterMember(m.NodeId, m.Name, m.RaftAddress, m.HttpAddress);
        }

        return new ClusterMembers(members);
    }

    // ------------------------------------------------------------------ helpers

    private static long Millis(TimeSpan? timeout) => timeout is { } t ? Math.Max(1, (long)t.TotalMilliseconds) : 0;

    private static TimeSpan? Duration(long millis) => millis > 0 ? TimeSpan.FromMilliseconds(millis) : null;

    private static NotLeaderPolicy Policy(bool reject) => reject ? NotLeaderPolicy.Reject : NotLeaderPolicy.Forward;

    private static int Hops(int hops) => hops >= 0 ? hops : throw new SerializationException($"A Raft client request arrived with {hops} hops.");

    private static SerializationException Bad(string what, uint value) => new($"A Raft client message arrived with the unknown {what} {value}.");

    private static SerializationException Unknown(object message) =>
        new($"The Raft client serializer does not know {message.GetType().FullName}.");
}
