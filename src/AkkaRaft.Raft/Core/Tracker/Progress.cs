namespace AkkaRaft.Raft.Core.Tracker;

// ProgressState, how the leader replicates to one follower, is defined in AkkaRaft.Client (RaftStates.cs): a
// leader's status reports it.

/// <summary>The leader's view of one follower (Raft §5.3 nextIndex/matchIndex, plus flow control).</summary>
internal sealed class Progress
{
    public Progress(ulong next, int maxInflight, long maxInflightBytes, bool isLearner)
    {
        Next = next;
        Inflights = new Inflights(maxInflight, maxInflightBytes);
        IsLearner = isLearner;
    }

    /// <summary>Highest index known replicated on the follower.</summary>
    public ulong Match;

    /// <summary>Next index to send.</summary>
    public ulong Next;

    public ProgressState State = ProgressState.Probe;

    /// <summary>In Probe: an append was sent and we wait for its answer (or the next heartbeat answer).</summary>
    public bool ProbeSent;

    /// <summary>Heard from the follower since the last check-quorum pass.</summary>
    public bool RecentActive;

    /// <summary>Highest heartbeat round the follower answered (ReadIndex and lease).</summary>
    public ulong AckedRound;

    /// <summary>Index of the snapshot being sent, in state Snapshot.</summary>
    public ulong PendingSnapshot;

    /// <summary>In state Snapshot: heartbeat answers since the snapshot was last sent (it is sent again after election-ticks of them).</summary>
    public int SnapshotWaitRounds;

    public bool IsLearner;

    public readonly Inflights Inflights;

    public void BecomeProbe()
    {
        // After a snapshot, resume right after it; otherwise right after what is known to match.
        if (State == ProgressState.Snapshot)
        {
            var pending = PendingSnapshot;
            ResetState(ProgressState.Probe);
            Next = Math.Max(Match + 1, pending + 1);
        }
        else
        {
            ResetState(ProgressState.Probe);
            Next = Match + 1;
        }
    }

    public void BecomeReplicate()
    {
        ResetState(ProgressState.Replicate);
        Next = Match + 1;
    }

    public void BecomeSnapshot(ulong snapshotIndex)
    {
        ResetState(ProgressState.Snapshot);
        PendingSnapshot = snapshotIndex;
        SnapshotWaitRounds = 0;
    }

    private void ResetState(ProgressState state)
    {
        ProbeSent = false;
        PendingSnapshot = 0;
        SnapshotWaitRounds = 0;
        State = state;
        Inflights.Reset();
    }

    /// <summary>An acknowledgement up to <paramref name="index"/> arrived. Returns true if Match moved.</summary>
    public bool MaybeUpdate(ulong index)
    {
        var updated = false;
        if (Match < index)
        {
            Match = index;
            updated = true;
            ProbeSent = false;
        }
        Next = Math.Max(Next, index + 1);
        return updated;
    }

    /// <summary>
    /// A rejection of the append whose PrevLogIndex was <paramref name="rejected"/>; <paramref name="matchHint"/>
    /// is the highest index that may match. Returns false for a stale rejection.
    /// </summary>
    public bool MaybeDecrTo(ulong rejected, ulong matchHint)
    {
        if (State == ProgressState.Replicate)
        {
            // Rejections of indexes already matched are duplicates or reorderings.
            if (rejected <= Match) return false;
            Next = Match + 1;
            return true;
        }
        // In Probe only the answer to the last probe counts.
        if (Next - 1 != rejected) return false;
        Next = Math.Max(Math.Min(rejected, matchHint + 1), Match + 1);
        ProbeSent = false;
        return true;
    }

    /// <summary>True when nothing more may be sent now.</summary>
    public bool IsPaused => State switch
    {
        ProgressState.Probe => ProbeSent,
        ProgressState.Replicate => Inflights.Full,
        _ => true,
    };

    /// <summary>Records an AppendEntries just sent with <paramref name="count"/> entries ending at <paramref name="lastIndex"/>.</summary>
    public void SentEntries(int count, ulong lastIndex, long bytes)
    {
        if (State == ProgressState.Replicate)
        {
            if (count > 0)
            {
                Next = lastIndex + 1;
                Inflights.Add(lastIndex, bytes);
            }
        }
        else if (State == ProgressState.Probe)
        {
            ProbeSent = true;
        }
    }

    public override string ToString() => $"{State} match={Match} next={Next}" + (State == ProgressState.Snapshot ? $" snapshot={PendingSnapshot}" : "");
}
