using AkkaRaft.Raft.Core.Quorum;

namespace AkkaRaft.Raft.Core;

// Leader election (Raft §5.2), pre-vote (thesis 9.6) and the vote-side of check-quorum (thesis 4.2.3).
public sealed partial class RaftNode
{
    private bool _startupVoteQuiet;

    private void TickElection()
    {
        _electionElapsed++;
        if (_electionElapsed >= _config.ElectionTicks) _startupVoteQuiet = false;
        if (Promotable && _electionElapsed >= _randomizedElectionTimeout)
        {
            _electionElapsed = 0;
            Hup(transfer: false);
        }
    }

    /// <summary>True while this node believes a leader is alive: it then ignores vote requests.</summary>
    private bool InLease() =>
        _config.CheckQuorum && (_startupVoteQuiet || (_lead != RaftIds.None && _electionElapsed < _config.ElectionTicks));

    private void Hup(bool transfer)
    {
        if (_role == RaftRole.Leader || !Promotable) return;
        if (_config.PreVote && !transfer) StartCampaign(preVote: true, transfer: false);
        else StartCampaign(preVote: false, transfer);
    }

    private void StartCampaign(bool preVote, bool transfer)
    {
        ulong voteTerm;
        if (preVote)
        {
            BecomePreCandidate();
            voteTerm = _term + 1;
        }
        else
        {
            BecomeCandidate();
            voteTerm = _term;
        }
        _tracker.RecordVote(Id, true);
        if (_tracker.TallyVotes() == VoteResult.Won)
        {
            // A single voter wins at once.
            if (preVote) StartCampaign(preVote: false, transfer);
            else BecomeLeader();
            return;
        }
        var lastIndex = _log.LastIndex;
        var lastTerm = _log.LastTerm;
        SendVoteRequests(_tracker.Conf.Voters, voteTerm, lastIndex, lastTerm, preVote, transfer);
        SendVoteRequests(_tracker.Conf.VotersOutgoing, voteTerm, lastIndex, lastTerm, preVote, transfer);
    }

    private void SendVoteRequests(ulong[] voters, ulong term, ulong lastIndex, ulong lastTerm, bool preVote, bool transfer)
    {
        foreach (var voter in voters)
        {
            if (voter == Id) continue;
            Send(new RequestVote(Id, voter, term, lastIndex, lastTerm, preVote, transfer));
        }
    }

    private void HandleRequestVote(RequestVote request)
    {
        // §5.2: one vote per term, first come first served; §5.4.1: only for a log at least as up to date.
        // A pre-vote for a later term is granted on the log check alone (thesis 9.6).
        var canVote = _vote == request.From
            || (_vote == RaftIds.None && _lead == RaftIds.None)
            || (request.PreVote && request.Term > _term);
        if (canVote && _log.IsUpToDate(request.LastLogIndex, request.LastLogTerm))
        {
            Send(new RequestVoteResponse(Id, request.From, request.Term, request.PreVote, true));
            if (!request.PreVote)
            {
                _electionElapsed = 0;
                SetVote(request.From);
            }
        }
        else
        {
            Send(new RequestVoteResponse(Id, request.From, _term, request.PreVote, false));
        }
    }

    private void StepCandidate(RaftMessage message)
    {
        switch (message)
        {
            case AppendEntries append:
                BecomeFollower(_term, append.From);
                HandleAppendEntries(append);
                break;
            case Heartbeat heartbeat:
                BecomeFollower(_term, heartbeat.From);
                HandleHeartbeat(heartbeat);
                break;
            case InstallSnapshot install:
                BecomeFollower(_term, install.From);
                HandleInstallSnapshot(install);
                break;
            case ReadIndexRequest request:
                RefuseRead(request.From, request.Context);
                break;
            case RequestVoteResponse response:
                if (response.PreVote != (_role == RaftRole.PreCandidate)) return;
                _tracker.RecordVote(response.From, response.Granted);
                switch (_tracker.TallyVotes())
                {
                    case VoteResult.Won:
                        if (_role == RaftRole.PreCandidate) StartCampaign(preVote: false, transfer: false);
                        else BecomeLeader();
                        break;
                    case VoteResult.Lost:
                        BecomeFollower(_term, RaftIds.None);
                        break;
                }
                break;
        }
    }
}
