using System.Buffers.Binary;
using System.Text;
using AkkaRaft.Raft.StateMachines;

namespace AkkaRaft.Kv.Tests;

/// <summary>The conformance checks must catch each way a state machine can break the contract.</summary>
public sealed class StateMachineConformanceTests
{
    private static readonly IReadOnlyList<StateMachineStep> Steps =
    [
        StateMachineStep.Command("add:a"u8.ToArray()),
        StateMachineStep.Command("add:b"u8.ToArray(), sessionId: 3),
        StateMachineStep.Command("add:c"u8.ToArray()),
        StateMachineStep.ExpireSession(3),
        StateMachineStep.Command("add:d"u8.ToArray()),
        StateMachineStep.Command("remove:a"u8.ToArray()),
    ];

    private static readonly IReadOnlyList<ReadOnlyMemory<byte>> Queries = ["a"u8.ToArray(), "b"u8.ToArray(), "c"u8.ToArray(), "d"u8.ToArray()];

    [Fact]
    public void A_correct_state_machine_should_pass_every_check()
    {
        StateMachineConformance.CheckAll(() => new SetMachine(Flaw.None), Steps, Queries);
    }

    [Theory]
    [InlineData(Flaw.ResponseDependsOnInstance, "deterministic apply")]
    [InlineData(Flaw.SnapshotInInsertionOrder, "snapshot round trip")]
    [InlineData(Flaw.QueryChangesState, "snapshot is stable")]
    [InlineData(Flaw.RestoreDropsOwners, "snapshot round trip")]
    [InlineData(Flaw.RestoreMerges, "restore replaces state")]
    [InlineData(Flaw.SnapshotWithoutCount, "truncated snapshot rejected")]
    [InlineData(Flaw.RestoreThrowsWrongType, "truncated snapshot rejected")]
    public void A_flawed_state_machine_should_fail_the_check_that_names_its_flaw(Flaw flaw, string check)
    {
        var failure = Assert.Throws<StateMachineConformanceException>(
            () => StateMachineConformance.CheckAll(() => new SetMachine(flaw), Steps, Queries));

        Assert.Contains($"({check})", failure.Message);
    }

    [Fact]
    public void A_failure_should_name_the_step_that_diverged()
    {
        var failure = Assert.Throws<StateMachineConformanceException>(
            () => StateMachineConformance.CheckDeterministicApply(() => new SetMachine(Flaw.ResponseDependsOnInstance), Steps));

        Assert.Contains("step 0 (index 1, command of 5 bytes from session 0)", failure.Message);
    }

    public enum Flaw
    {
        None,
        ResponseDependsOnInstance,
        SnapshotInInsertionOrder,
        QueryChangesState,
        RestoreDropsOwners,
        RestoreMerges,
        SnapshotWithoutCount,
        RestoreThrowsWrongType,
    }

    /// <summary>
    /// A set of strings, each optionally owned by a session: "add:x" and "remove:x" commands, a query answers
    /// "yes" or "no". Its snapshot is a count and then (owner, length, text) per member. Each flaw breaks one rule.
    /// </summary>
    private sealed class SetMachine(Flaw flaw) : IStateMachine
    {
        private static int s_instances;
        private readonly int _instance = Interlocked.Increment(ref s_instances);
        private readonly List<(string Member, long Owner)> _members = [];

        public ApplyResult Apply(in ApplyContext context, ReadOnlyMemory<byte> command)
        {
            var text = Encoding.UTF8.GetString(command.Span);
            var member = text[(text.IndexOf(':') + 1)..];
            _members.RemoveAll(m => m.Member == member);
            if (text.StartsWith("add:", StringComparison.Ordinal))
            {
                _members.Add((member, context.SessionId));
            }

            var response = flaw == Flaw.ResponseDependsOnInstance ? $"ok {_instance}" : "ok";
            return new ApplyResult(Encoding.UTF8.GetBytes(response), [member]);
        }

        public QueryResult Query(ReadOnlyMemory<byte> query)
        {
            var member = Encoding.UTF8.GetString(query.Span);
            if (flaw == Flaw.QueryChangesState)
            {
                _members.Add(("queried", 0));
            }

            return new QueryResult(Encoding.UTF8.GetBytes(_members.Any(m => m.Member == member) ? "yes" : "no"), [member]);
        }

        public ApplyResult SessionExpired(in ApplyContext context, long sessionId)
        {
            var gone = _members.Where(m => m.Owner == sessionId).Select(m => m.Member).Order(StringComparer.Ordinal).ToList();
            _members.RemoveAll(m => m.Owner == sessionId);
            return new ApplyResult("expired"u8.ToArray(), gone);
        }

        public void WriteSnapshot(Stream output)
        {
            var members = flaw == Flaw.SnapshotInInsertionOrder
                ? _members.AsEnumerable().Reverse()
                : _members.OrderBy(m => m.Member, StringComparer.Ordinal);
            var writer = new BinaryWriter(output, Encoding.UTF8, leaveOpen: true);
            if (flaw != Flaw.SnapshotWithoutCount)
            {
                writer.Write(_members.Count);
            }

            foreach (var (member, owner) in members)
            {
                writer.Write(owner);
                writer.Write(member);
            }

            writer.Flush();
        }

        public void RestoreSnapshot(Stream input)
        {
            var restored = new List<(string, long)>();
            var reader = new BinaryReader(input, Encoding.UTF8, leaveOpen: true);
            try
            {
                if (flaw == Flaw.SnapshotWithoutCount)
                {
                    while (input.Position < input.Length)
                    {
                        var owner = reader.ReadInt64();
                        restored.Add((reader.ReadString(), owner));
                    }
                }
                else
                {
                    var count = reader.ReadInt32();
                    for (var i = 0; i < count; i++)
                    {
                        var owner = reader.ReadInt64();
                        restored.Add((reader.ReadString(), flaw == Flaw.RestoreDropsOwners ? 0 : owner));
                    }
                }
            }
            catch (EndOfStreamException e) when (flaw != Flaw.RestoreThrowsWrongType)
            {
                throw new InvalidSnapshotException("truncated", e);
            }

            if (flaw != Flaw.RestoreMerges)
            {
                _members.Clear();
            }

            _members.AddRange(restored.Where(r => !_members.Contains(r)));
        }
    }
}
