namespace AkkaRaft.Client.TimeSeries;

// The time-series messages for other Akka apps (trr's client: PutTimeData, GetTimeData), sent to a member's inbox
// (/user/raft) by ActorSelection or through ClusterClient. The inbox proposes or asks them as Write and Query of the
// time-series store and answers with the records below, or with the client protocol's NotLeader, Overloaded,
// RequestTimedOut, RequestRejected or StorageUnavailable as for any write or read.

/// <summary>Appends one point (trr's <c>PutTimeData(key, t, v)</c>). Answered by <see cref="TimeDataWritten"/> or <see cref="TimeDataRefused"/>.</summary>
/// <param name="Series">The series (created by its first point).</param>
/// <param name="Timestamp">Unix seconds, or milliseconds with <paramref name="Unit"/>.</param>
/// <param name="Value">The value.</param>
/// <param name="Unit">The unit of <paramref name="Timestamp"/>; a series keeps the unit of its first point.</param>
/// <param name="Timeout">How long the member waits for the commit; null for its default.</param>
/// <param name="OnNotLeader">Whether a follower forwards the write to the leader or answers <see cref="NotLeader"/>.</param>
public sealed record PutTimeData(string Series, long Timestamp, double Value, TimeUnit Unit = TimeUnit.Seconds, TimeSpan? Timeout = null, NotLeaderPolicy OnNotLeader = NotLeaderPolicy.Forward) : IRaftClientMessage;

/// <summary>Appends many points of many series in one log entry, all or nothing. Answered as <see cref="PutTimeData"/>.</summary>
/// <param name="Series">Each series with its points (any order; a timestamp given twice keeps its last value).</param>
/// <param name="Unit">The unit of every timestamp.</param>
/// <param name="Timeout">How long the member waits for the commit; null for its default.</param>
/// <param name="OnNotLeader">Whether a follower forwards the write to the leader or answers <see cref="NotLeader"/>.</param>
public sealed record PutTimeDataBatch(IReadOnlyList<KeyValuePair<string, IReadOnlyList<TimePoint>>> Series, TimeUnit Unit = TimeUnit.Seconds, TimeSpan? Timeout = null, NotLeaderPolicy OnNotLeader = NotLeaderPolicy.Forward) : IRaftClientMessage;

/// <summary>
/// Reads the points of <paramref name="Series"/> with <paramref name="From"/> ≤ t &lt; <paramref name="To"/> (null:
/// unbounded), in <paramref name="Unit"/> (trr's <c>GetTimeData</c>). Answered by <see cref="TimeData"/> or <see cref="TimeDataRefused"/>.
/// </summary>
/// <param name="Series">The series.</param>
/// <param name="From">First timestamp included, or null.</param>
/// <param name="To">First timestamp excluded, or null.</param>
/// <param name="Level">The read level, as for keys.</param>
/// <param name="Unit">The unit of <paramref name="From"/> and <paramref name="To"/>.</param>
/// <param name="Timeout">How long the member waits; null for its default.</param>
/// <param name="OnNotLeader">Whether a follower forwards the read to the leader or answers <see cref="NotLeader"/>.</param>
public sealed record GetTimeData(string Series, long? From = null, long? To = null, ReadLevel Level = ReadLevel.Default, TimeUnit Unit = TimeUnit.Seconds, TimeSpan? Timeout = null, NotLeaderPolicy OnNotLeader = NotLeaderPolicy.Forward) : IRaftClientMessage;

/// <summary>A time-series write committed.</summary>
/// <param name="Appended">Points stored (new, or with a new value).</param>
/// <param name="Duplicates">Points that were already stored as given (a retried write).</param>
/// <param name="Index">The log index of the write.</param>
/// <param name="Leader">The leader that committed it.</param>
public sealed record TimeDataWritten(ulong Appended, ulong Duplicates, ulong Index, ulong Leader) : IRaftClientMessage;

/// <summary>The points of a series, in time order.</summary>
/// <param name="Series">The series.</param>
/// <param name="Unit">The series' unit, that of <paramref name="Points"/>.</param>
/// <param name="Points">The points.</param>
/// <param name="AppliedIndex">The log index the answering state had applied.</param>
/// <param name="Leader">The leader as the answering member knew it.</param>
public sealed record TimeData(string Series, TimeUnit Unit, IReadOnlyList<TimePoint> Points, ulong AppliedIndex, ulong Leader) : IRaftClientMessage;

/// <summary>The store refused a time-series request; nothing changed.</summary>
/// <param name="Status">Why.</param>
/// <param name="Reason">Why, in a sentence that names the series and the limit or time.</param>
/// <param name="Series">The series it is about, if one.</param>
/// <param name="OldestAccepted">For <see cref="TsStatus.OutOfWindow"/>: the oldest timestamp the series accepts.</param>
public sealed record TimeDataRefused(TsStatus Status, string Reason, string? Series, long OldestAccepted) : IRaftClientMessage;
