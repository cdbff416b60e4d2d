using Akka.Actor;
using AkkaRaft.Client;
using AkkaRaft.Client.Kv;
using AkkaRaft.Kv;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer;
using AkkaRaft.Raft.StateMachines;

namespace AkkaRaft.Simulation.Tests;

/// <summary>
/// The host's hook for a state machine that keeps part of its state in a child actor
/// (<see cref="IChildActorStateMachine"/>): a command for the child comes back deferred, and completing it does what
/// an in-line apply does (session response, answer), with nothing else applied in between. The test plays the child
/// with a second key/value store.
/// </summary>
public sealed class ChildStateMachineHostTests
{
    /// <summary>Commands that start with <see cref="ToChild"/> are the child's (a key/value command behind the marker).</summary>
    private sealed class SplitMachine : IChildActorStateMachine
    {
        public const byte ToChild = 0xC1;

        public KvStateMachine InLine { get; } = new(KvSettings.Default);

        public Props? ChildProps => Props.Empty;

        public string ChildName => "child";

        public bool ServedByChild(ReadOnlySpan<byte> commandOrQuery) => commandOrQuery.Length > 0 && commandOrQuery[0] == ToChild;

        public ApplyResult Apply(in ApplyContext context, ReadOnlyMemory<byte> command) => InLine.Apply(context, command);

        public QueryResult Query(ReadOnlyMemory<byte> query) => InLine.Query(query);

        public ApplyResult SessionExpired(in ApplyContext context, long sessionId) => InLine.SessionExpired(context, sessionId);

        public void WriteSnapshot(Stream output) => throw new InvalidOperationException("the host writes this machine's snapshot with its child's part");

        public void RestoreSnapshot(Stream input) => throw new InvalidOperationException("the host restores this machine with its child");

        /// <summary>The in-line store's snapshot behind its length, then the child's part.</summary>
        public void WriteSnapshot(Stream output, ReadOnlyMemory<byte> childPart)
        {
            using var inLine = new MemoryStream();
            InLine.WriteSnapshot(inLine);
            output.Write(BitConverter.GetBytes((int)inLine.Length));
            output.Write(inLine.ToArray());
            output.Write(childPart.Span);
        }

        /// <summary>Restores the in-line store and hands back the child's part.</summary>
        public object RestoreSnapshotWithChild(Stream input)
        {
            using var all = new MemoryStream();
            input.CopyTo(all);
            var bytes = all.ToArray();
            var length = BitConverter.ToInt32(bytes);
            using (var inLine = new MemoryStream(bytes, 4, length)) InLine.RestoreSnapshot(inLine);
            return bytes[(4 + length)..];
        }
    }

    private static Entry Command(ulong index, byte[] command, long session = 0, ulong sequence = 0) =>
        new(1, index, EntryType.Normal, StateMachineHost.EncodeCommand(command, session, sequence: sequence, acknowledgedBelow: 1));

    private static byte[] ForChild(byte[] command) => [SplitMachine.ToChild, .. command];

    [Fact]
    public void A_command_for_the_child_is_deferred_and_its_completion_answers_and_saves_the_sessions_response()
    {
        var machine = new SplitMachine();
        var host = new StateMachineHost(machine);
        var child = new KvStateMachine(KvSettings.Default);
        Assert.IsType<SessionOpened>(host.Apply(new Entry(1, 1, EntryType.Normal, SessionEntries.EncodeOpen(TimeSpan.FromSeconds(5), 8)), leader: 1, answer: true));
        Assert.IsType<WriteResult>(host.Apply(Command(2, KvCommands.Put("a", "in-line")), leader: 1, answer: true));

        var deferred = Assert.IsType<DeferredApply>(host.Apply(Command(3, ForChild(KvCommands.Put("b", "child")), session: 1, sequence: 1), leader: 1, answer: true));
        Assert.True(host.Deferring);
        Assert.Equal(3ul, deferred.Apply.Context.Index);
        var result = child.Apply(deferred.Apply.Context, deferred.Apply.Command[1..]);
        var answer = Assert.IsType<WriteResult>(host.Complete(new ChildApplied(3, result)));

        Assert.False(host.Deferring);
        Assert.Equal((3ul, 1ul), (answer.Index, answer.Leader));
        Assert.Equal(result.Response.ToArray(), answer.Response.ToArray());
        // A retry of the same write is answered from the session, not sent to the child again.
        var retried = Assert.IsType<WriteResult>(host.Apply(Command(4, ForChild(KvCommands.Put("b", "again")), session: 1, sequence: 1), leader: 1, answer: true));
        Assert.Equal(3ul, retried.Index);
        Assert.False(host.Deferring);
    }

    [Fact]
    public void Nothing_is_applied_snapshotted_or_restored_while_an_entry_is_with_the_child()
    {
        var host = new StateMachineHost(new SplitMachine());
        Assert.IsType<DeferredApply>(host.Apply(Command(1, ForChild(KvCommands.Put("b", "1"))), leader: 1, answer: false));

        Assert.Throws<RaftInvariantException>(() => host.Apply(Command(2, KvCommands.Put("a", "1")), leader: 1, answer: false));
        Assert.Throws<RaftInvariantException>(() => host.TakeSnapshot(new ChildSnapshotPart([])));
        Assert.Throws<RaftInvariantException>(() => host.Restore([], 5));
        Assert.Throws<RaftInvariantException>(() => host.Complete(new ChildApplied(2, ApplyResult.Unchanged(Array.Empty<byte>()))));

        Assert.Null(host.Complete(new ChildApplied(1, ApplyResult.Unchanged(Array.Empty<byte>()))));
        Assert.Null(host.Apply(Command(2, KvCommands.Put("a", "1")), leader: 1, answer: false));
        Assert.Throws<RaftInvariantException>(() => host.Complete(new ChildApplied(2, ApplyResult.Unchanged(Array.Empty<byte>()))));
    }

    [Fact]
    public void A_snapshot_holds_the_childs_part_and_a_restore_hands_it_back_for_the_child()
    {
        var machine = new SplitMachine();
        var host = new StateMachineHost(machine);
        host.Apply(Command(1, KvCommands.Put("a", "1")), leader: 1, answer: false);
        Assert.Throws<RaftInvariantException>(() => host.TakeSnapshot());

        var snapshot = host.TakeSnapshot(new ChildSnapshotPart([1, 2, 3]));
        var restoredMachine = new SplitMachine();
        var restored = new StateMachineHost(restoredMachine);
        var toChild = restored.Restore(snapshot.Data, snapshot.Index);

        Assert.Equal(1ul, restored.Applied);
        Assert.Equal([1, 2, 3], Assert.IsType<byte[]>(toChild));
        Assert.True(KvResult.Decode(restoredMachine.InLine.Query(KvQueries.Get("a")).Response).IsOk);
    }
}
