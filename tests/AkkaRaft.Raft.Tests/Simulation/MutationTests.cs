using AkkaRaft.Raft.Core;
using AkkaRaft.TestSupport.Linearizability;
using AkkaRaft.TestSupport.Simulation;
using Xunit.Abstractions;

namespace AkkaRaft.Raft.Tests.Simulation;

/// <summary>
/// Proves the checker on the real system: each test switches on one known bug and shows that the
/// linearizability checker (alone: the harness's own safety checks are off) rejects a history within a
/// bounded number of seeds. The third known bug, committing earlier-term entries by counting (Raft §5.4.2),
/// needs the precise schedule of Figure 8, which random faults almost never produce; it is played step by step
/// in <see cref="Figure8MutationTests"/>.
/// </summary>
public class MutationTests(ITestOutputHelper output)
{
    private SeedOutcome FirstCaught(SimulationOptions options, int maxSeeds)
    {
        for (ulong seed = 1; seed <= (ulong)maxSeeds; seed++)
        {
            var outcome = SimulationRunner.RunSeed(seed, options);
            if (outcome.Verdict == Verdict.NotLinearizable)
            {
                output.WriteLine($"caught at seed {seed} of at most {maxSeeds}: {outcome.Failure}");
                return outcome;
            }
        }
        Assert.Fail($"the checker did not catch the bug within {maxSeeds} seeds");
        return null!;
    }

    [Fact(DisplayName = "Mutation: a deposed leader serving reads without confirming leadership is caught by the checker")]
    public void Deposed_leader_serving_reads_is_caught()
    {
        var options = new SimulationOptions
        {
            Nodes = 3,
            CheckSafety = false,
            Crashes = false,
            OperationTimeoutMs = 100,
            FaultIntervalMs = 400,
            Configure = c => c with { Mutations = RaftMutations.ReadsWithoutQuorumCheck | RaftMutations.NoCheckQuorumStepDown },
        };
        FirstCaught(options, maxSeeds: 100);
    }

    [Fact(DisplayName = "Mutation: a follower serving a read at its own commit index, without the leader's read index, is caught by the checker")]
    public void Follower_reading_at_its_own_commit_is_caught()
    {
        var options = new SimulationOptions
        {
            Nodes = 3,
            CheckSafety = false,
            Crashes = false,
            OperationTimeoutMs = 100,
            FaultIntervalMs = 400,
            Configure = c => c with { Mutations = RaftMutations.FollowerReadsAtOwnCommit },
        };
        FirstCaught(options, maxSeeds: 200);
    }

    [Fact(DisplayName = "Mutation: followers acknowledging before persisting (then crashing) is caught by the checker")]
    public void Acknowledging_before_persisting_is_caught()
    {
        var options = new SimulationOptions
        {
            Nodes = 3,
            CheckSafety = false,
            SuperviseInvariantViolations = true,
            AcknowledgeBeforePersist = true,
            MaxPersistMs = 40,
            FaultIntervalMs = 120,
        };
        FirstCaught(options, maxSeeds: 200);
    }
}
