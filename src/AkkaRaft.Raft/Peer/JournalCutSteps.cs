namespace AkkaRaft.Raft.Peer;

/// <summary>
/// Splits a peer's journal cuts (the events a snapshot made redundant) into deletions of at most <c>step</c> events each,
/// one after the other: a deletion is one transaction, and on SQLite, whose one writer it holds, a cut of thousands of
/// large events made every journal commit wait for seconds. Between two steps the journal's writes go on. Pure: the
/// peer issues what it answers and reports each completion.
/// </summary>
/// <remarks>
/// The steps start at the snapshot record the peer recovered from (everything before it was cut, or asked to be). The
/// first deletion after a start goes up to that record in one piece: it finds only what an earlier incarnation left
/// between two steps when it stopped, usually nothing. A failed step ends the cut where it is; the next cut asked for
/// starts from there (the events in between are already redundant).
/// </remarks>
internal sealed class JournalCutSteps
{
    private readonly long _step;
    private readonly long _recovered;
    private long _target;
    private long _cut;
    private bool _deleting;

    /// <summary>Steps of at most <paramref name="step"/> events, after the record the peer recovered from at <paramref name="recoveredAt"/> (0 for none).</summary>
    public JournalCutSteps(long step, long recoveredAt = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(recoveredAt);
        _step = step;
        _recovered = recoveredAt;
    }

    /// <summary>The sequence number everything up to which is deleted, 0 before any deletion completed.</summary>
    public long Cut => _cut;

    /// <summary>
    /// A cut of the events up to <paramref name="toSequenceNr"/> is wanted. Returns the sequence number to delete up to
    /// now, or null when a step is under way (the cut continues after it) or the events are deleted already.
    /// </summary>
    public long? Request(long toSequenceNr)
    {
        if (toSequenceNr <= _target) return null;
        _target = toSequenceNr;
        return _deleting ? null : Next();
    }

    /// <summary>The step up to <paramref name="toSequenceNr"/> is done; the next step to issue, or null when the cut is.</summary>
    public long? Completed(long toSequenceNr)
    {
        _deleting = false;
        _cut = Math.Max(_cut, toSequenceNr);
        return _cut < _target ? Next() : null;
    }

    /// <summary>The step under way failed; the cut stops there (the next <see cref="Request"/> goes on from <see cref="Cut"/>).</summary>
    public void Failed()
    {
        _deleting = false;
        _target = _cut;
    }

    private long Next()
    {
        _deleting = true;
        // Below the recovered record only leftovers remain: one deletion; past it, steps.
        return _cut < _recovered ? Math.Min(_target, _recovered) : Math.Min(_target, _cut + _step);
    }
}
