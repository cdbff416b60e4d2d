namespace AkkaRaft.Raft.Core;

// The follower side: AppendEntries (Raft §5.3), heartbeats, InstallSnapshot (Raft §7), TimeoutNow, and the answers to
// the reads it forwarded (ReadOnly.cs).
public sealed partial class RaftNode
{
    private void StepFollower(RaftMessage message)
    {
        switch (message)
        {
            case AppendEntries append:
                _electionElapsed = 0;
                _lead = append.From;
                HandleAppendEntries(append);
                break;
            case Heartbeat heartbeat:
                _electionElapsed = 0;
                _lead = heartbeat.From;
                HandleHeartbeat(heartbeat);
                break;
            case InstallSnapshot install:
                _electionElapsed = 0;
                _lead = install.From;
                HandleInstallSnapshot(install);
                break;
            case ReadIndexResponse response:
                HandleReadIndexResponse(response);
                break;
            case ReadIndexRequest request:
                RefuseRead(request.From, request.Context); // asked of a former leader
                break;
            case TimeoutNow:
                // Thesis 3.10: the leader chose us; campaign at once, skipping pre-vote and the lease.
                Hup(transfer: true);
                break;
        }
    }

    private void HandleAppendEntries(AppendEntries append)
    {
        if (append.PrevLogIndex < _log.Committed)
        {
            Send(new AppendEntriesResponse(Id, append.From, _term, true, _log.Committed, 0, 0));
            return;
        }
        if (_log.MaybeAppend(append.PrevLogIndex, append.PrevLogTerm, append.LeaderCommit, append.Entries, out var lastNew, out var conflict))
        {
            if (conflict != 0) OnFollowerEntriesAppended(append.Entries, conflict);
            Send(new AppendEntriesResponse(Id, append.From, _term, true, lastNew, 0, 0));
            return;
        }
        // Fast backtracking: tell the leader the last index whose term is not above the one it probed with.
        var hintIndex = Math.Min(append.PrevLogIndex, _log.LastIndex);
        var (index, term) = _log.FindConflictByTerm(hintIndex, append.PrevLogTerm);
        Send(new AppendEntriesResponse(Id, append.From, _term, false, append.PrevLogIndex, index, term));
    }

    private void HandleHeartbeat(Heartbeat heartbeat)
    {
        _log.CommitTo(heartbeat.Commit);
        Send(new HeartbeatResponse(Id, heartbeat.From, _term, heartbeat.Round));
    }

    private void HandleInstallSnapshot(InstallSnapshot install)
    {
        var snapshot = install.Snapshot;
        if (snapshot.Metadata.Index <= _log.Committed)
        {
            // Already have everything it covers (a duplicate, or the entries came meanwhile): the data is not looked at.
            Send(new AppendEntriesResponse(Id, install.From, _term, true, _log.Committed, 0, 0));
            return;
        }
        if (snapshot.Data.Length > _config.MaxSnapshotBytes) return; // refuse: larger than max-snapshot-bytes
        var restored = Restore(snapshot);
        Send(new AppendEntriesResponse(Id, install.From, _term, true, restored ? _log.LastIndex : _log.Committed, 0, 0));
    }

    /// <summary>Replaces the log by <paramref name="snapshot"/> unless the log already holds what it covers.</summary>
    private bool Restore(Snapshot snapshot)
    {
        var metadata = snapshot.Metadata;
        if (metadata.Index <= _log.Committed) return false;
        if (_log.MatchTerm(metadata.Index, metadata.Term))
        {
            // Our log already contains the snapshot's last entry: just commit up to it.
            _log.CommitTo(metadata.Index);
            return false;
        }
        _log.Restore(snapshot);
        ResetConfHistory(metadata.Index, metadata.ConfState);
        return true;
    }
}
