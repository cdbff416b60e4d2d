namespace AkkaRaft.Raft.Peer;

/// <summary>
/// Splits a peer's journal cuts (the events a snapshot made redundant) into deletions of at most <c>step</c> events each,
/// one after the other: a deletion is one transaction, and on SQLite, whose one writer it holds, a cut of thousands of
/// large events made every journal commit wait for seconds. Between two steps the journal's writes go on. Pure: the
/// peer issues what it answers and reports each completion.
/// </summary>
/// <remarks>
/// The first cut after the peer starts goes whole: events an earlier incarnation left below it (a crash between two
/// steps) are then deleted with it, and no step is spent on sequence numbers deleted long ago. A failed step ends the
/// cut where it is; the next cut asked for starts from there (the events in between are already redundant).
/// </remarks>
internal sealed class JournalCutSteps
{
    private readonly long _step;
    private long _target;
    private long _cut;
    private bool _deleting;

    /// <summary>Steps of at most <paramref name="step"/> events.</summary>
    public JournalCutSteps(long step)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1);
        _step = step;
    }

    /// <summary>The sequence number everything up to which was deleted (or asked for, in the first cut), 0 before any.</summary>
    public long Cut => _cut;

    /// <summary>
    /// A cut of the events up to <paramref name="toSequenceNr"/> is wanted. Returns the sequence number to delete up to
    /// now, or null when a step is under way (the cut continues after it) or the events are deleted already.
    /// </summary>
    public long? Request(long toSequenceNr)
    {
        if (toSequenceNr <= _target) return null;
        _target = toSequenceNr;
        if (_deleting) return null;
        return Next(whole: _cut == 0);
    }

    /// <summary>The step up to <paramref name="toSequenceNr"/> is done; the next step to issue, or null when the cut is.</summary>
    public long? Completed(long toSequenceNr)
    {
        _deleting = false;
        _cut = Math.Max(_cut, toSequenceNr);
        return _cut < _target ? Next(whole: false) : null;
    }

    /// <summary>The step under way failed; the cut stops there (the next <see cref="Request"/> goes on from <see cref="Cut"/>).</summary>
    public void Failed()
    {
        _deleting = false;
        _target = _cut;
    }

    private long Next(bool whole)
    {
        _deleting = true;
        return whole ? _target : Math.Min(_target, _cut + _step);
    }
}
