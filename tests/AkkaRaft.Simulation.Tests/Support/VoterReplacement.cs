using AkkaRaft.Client;
using AkkaRaft.Raft.Core;

namespace AkkaRaft.Simulation.Tests.Support;

/// <summary>
/// An operator in a simulated run who moves the group from the founding voters to the joiners in one request: first
/// <see cref="SetConfiguration"/> makes the (empty) joiners learners, then, after a random wait while the clients
/// keep writing, one <see cref="SetConfiguration"/> expecting the founders replaces every voter by the joiners
/// (thesis 4.3: a joint configuration, left by the leader). It asks whoever leads (or anyone), and asks again after
/// NotLeader, a change in progress, a timeout or no answer at all (a crashed or cut-off peer). When the final answer
/// comes it checks that it names the entry that left the joint configuration and that a majority of the new voters
/// hold it.
/// </summary>
internal sealed class VoterReplacement
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(1);
    private readonly PeerSimulator _simulator;
    private readonly ulong[] _founders;
    private readonly ulong[] _joiners;
    private int _attempt;
    private bool _replacing;

    /// <summary>Moves the group from <paramref name="founders"/> to <paramref name="joiners"/> once started.</summary>
    public VoterReplacement(PeerSimulator simulator, ulong[] founders, ulong[] joiners)
    {
        _simulator = simulator;
        _founders = founders;
        _joiners = joiners;
    }

    /// <summary>True once the replacement was answered (or found done by an answer to a retry).</summary>
    public bool Done { get; private set; }

    /// <summary>Requests sent so far.</summary>
    public int Attempts => _attempt;

    /// <summary>When the final configuration was reported committed.</summary>
    public TimeSpan DoneAt { get; private set; }

    /// <summary>Starts asking after <paramref name="delay"/>.</summary>
    public void Start(TimeSpan delay) => _simulator.ScheduleCall(_simulator.Now + delay, Ask);

    private void Ask()
    {
        if (Done) return;
        var attempt = ++_attempt;
        var leader = _simulator.Leader();
        var ids = _simulator.NodeIds;
        var target = leader != 0 ? leader : ids[_simulator.Random.Next(ids.Count)];
        if (!_simulator.IsUp(target))
        {
            _simulator.ScheduleCall(_simulator.Now + TimeSpan.FromMilliseconds(30), Ask);
            return;
        }
        var request = _replacing
            ? new SetConfiguration(_joiners, [], ExpectVoters: _founders, Timeout: RequestTimeout)
            : new SetConfiguration(_founders, _joiners, Timeout: RequestTimeout);
        _simulator.SendRequest(target, request, new Endpoint(this, attempt));
        // No answer at all (the peer crashed, the answer was lost): ask again.
        _simulator.ScheduleCall(_simulator.Now + RequestTimeout + TimeSpan.FromMilliseconds(200), () =>
        {
            if (attempt == _attempt && !Done) Ask();
        });
    }

    private void OnAnswer(int attempt, object answer)
    {
        if (attempt != _attempt || Done) return;
        _attempt++; // this attempt is settled; its no-answer timer must not ask again
        switch (answer)
        {
            case MembershipChanged changed when !_replacing:
                if (!changed.Voters.SequenceEqual(_founders) || !changed.Learners.SequenceEqual(_joiners))
                    throw new PeerSimulationException($"seed {_simulator.Seed}: the learners were added, but the answer says voters [{string.Join(",", changed.Voters)}] learners [{string.Join(",", changed.Learners)}]");
                _replacing = true;
                _simulator.ScheduleCall(_simulator.Now + TimeSpan.FromMilliseconds(50) + _simulator.Random.Upto(TimeSpan.FromMilliseconds(350)), Ask);
                break;
            case MembershipChanged changed:
                CheckFinal(changed);
                Done = true;
                DoneAt = _simulator.Now;
                break;
            case ConfigurationMismatch mismatch when _replacing && mismatch.Voters.SequenceEqual(_joiners):
                // An earlier attempt did it and its answer was lost (or it timed out while the next leader finished it).
                Done = true;
                DoneAt = _simulator.Now;
                break;
            case ConfigurationMismatch mismatch:
                throw new PeerSimulationException($"seed {_simulator.Seed}: nobody else changes the voters, yet they are [{string.Join(",", mismatch.Voters)}]");
            case NotLeader or ConfigurationChangeInProgress or RequestTimedOut or Overloaded or StorageUnavailable:
                _simulator.ScheduleCall(_simulator.Now + TimeSpan.FromMilliseconds(30), Ask);
                break;
            default:
                throw new PeerSimulationException($"seed {_simulator.Seed}: a SetConfiguration was answered {answer}");
        }
    }

    /// <summary>The answer came after the joint configuration was left, and the new voters hold what it names.</summary>
    private void CheckFinal(MembershipChanged changed)
    {
        if (!changed.Voters.SequenceEqual(_joiners) || changed.Learners.Count != 0)
            throw new PeerSimulationException($"seed {_simulator.Seed}: the replacement was answered with voters [{string.Join(",", changed.Voters)}] learners [{string.Join(",", changed.Learners)}]");
        var holders = 0;
        var down = 0;
        foreach (var id in _joiners)
        {
            if (_simulator.Peer(id).Logic is not { } logic)
            {
                down++; // its disk holds what it acknowledged; the running peers are checked
                continue;
            }
            var storage = logic.Storage;
            if (storage.LastIndex < changed.Index) continue;
            holders++;
            if (storage.FirstIndex > changed.Index) continue; // compacted into its snapshot
            var entry = storage.Entries(changed.Index, changed.Index + 1, long.MaxValue)[0];
            if (entry.Type != EntryType.ConfChange || ConfChange.Decode(entry.Data).Transition != ConfChangeTransition.LeaveJoint)
                throw new PeerSimulationException($"seed {_simulator.Seed}: the replacement was answered at index {changed.Index}, which holds {entry.Type} {(entry.Type == EntryType.ConfChange ? ConfChange.Decode(entry.Data) : "")}, not the entry that leaves the joint configuration");
        }
        if (holders + down < _joiners.Length / 2 + 1)
            throw new PeerSimulationException($"seed {_simulator.Seed}: the replacement was answered at index {changed.Index}, which only {holders} of the new voters hold");
    }

    private sealed class Endpoint(VoterReplacement owner, int attempt) : SimClient
    {
        public override void OnAnswer(object answer) => owner.OnAnswer(attempt, answer);

        public override string ToString() => $"voter replacement attempt {attempt}";
    }
}
