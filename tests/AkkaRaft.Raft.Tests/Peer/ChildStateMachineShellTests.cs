using Akka.Actor;
using AkkaRaft.Client;
using AkkaRaft.Client.Kv;
using AkkaRaft.Kv;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer;
using AkkaRaft.Raft.StateMachines;
using Xunit.Abstractions;

namespace AkkaRaft.Raft.Tests.Peer;

/// <summary>
/// What the state machine actor does for a state machine with a child actor (<see cref="IChildActorStateMachine"/>):
/// an entry for the child holds back everything after it (the rest of its batch, queries, snapshots) until the child
/// answers, so clients are answered in log order. The test plays the child through a probe.
/// </summary>
public sealed class ChildStateMachineShellTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit("akka.loglevel = WARNING", "child-shell", output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private const byte ToChild = 0xC1;

    /// <summary>Passes everything it gets to the probe that plays the child, and the probe's answers back.</summary>
    private sealed class Relay : ReceiveActor
    {
        public Relay(IActorRef probe) => ReceiveAny(message =>
        {
            if (Sender.Equals(probe)) Context.Parent.Tell(message, Self);
            else probe.Tell(message, Self);
        });
    }

    /// <summary>Key/value commands in-line; commands that start with <see cref="ToChild"/> are the child's.</summary>
    private sealed class SplitMachine(IActorRef probe) : IChildActorStateMachine
    {
        private readonly KvStateMachine _inLine = new(KvSettings.Default);

        public Props? ChildProps => Props.Create(() => new Relay(probe));

        public string ChildName => "child";

        public bool ServedByChild(ReadOnlySpan<byte> commandOrQuery) => commandOrQuery.Length > 0 && commandOrQuery[0] == ToChild;

        public ApplyResult Apply(in ApplyContext context, ReadOnlyMemory<byte> command) => _inLine.Apply(context, command);

        public QueryResult Query(ReadOnlyMemory<byte> query) => _inLine.Query(query);

        public ApplyResult SessionExpired(in ApplyContext context, long sessionId) => _inLine.SessionExpired(context, sessionId);

        public void WriteSnapshot(Stream output) => throw new InvalidOperationException("the host writes this machine's snapshot with its child's part");

        public void RestoreSnapshot(Stream input) => throw new InvalidOperationException("the host restores this machine with its child");

        public void WriteSnapshot(Stream output, ReadOnlyMemory<byte> childPart) => output.Write(childPart.Span);

        public object RestoreSnapshotWithChild(Stream input) => throw new InvalidOperationException("not restored in this test");
    }

    private static Entry Command(ulong index, byte[] command) => new(1, index, EntryType.Normal, StateMachineHost.EncodeCommand(command, 0));

    [Fact]
    public async Task An_entry_for_the_child_holds_back_the_rest_of_its_batch_and_later_queries_until_the_child_answers()
    {
        var child = CreateTestProbe();
        var client = CreateTestProbe();
        var machine = Sys.ActorOf(Props.Create(() => new StateMachineActor(new SplitMachine(child.Ref), WatchSettings.Defaults)), "state-machine");

        machine.Tell(new ApplyEntries([Command(1, [ToChild, 1, 2]), Command(2, KvCommands.Put("k", "after"))], [client.Ref, client.Ref], 1));
        machine.Tell(new ServeQuery(KvQueries.Get("k"), false, client.Ref, 1, 1, ReadPath.Lease));
        var apply = await child.ExpectMsgAsync<ChildApply>(Wait);
        Assert.Equal(1ul, apply.Context.Index);
        Assert.Equal(new byte[] { ToChild, 1, 2 }, apply.Command.ToArray());
        // Entry 2 and the query wait for entry 1.
        await client.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));

        child.Reply(new ChildApplied(1, ApplyResult.Unchanged(new byte[] { 7 })));

        var first = await client.ExpectMsgAsync<WriteResult>(Wait);
        Assert.Equal(1ul, first.Index);
        Assert.Equal(new byte[] { 7 }, first.Response.ToArray());
        Assert.Equal(2ul, (await client.ExpectMsgAsync<WriteResult>(Wait)).Index);
        var read = await client.ExpectMsgAsync<QueryResponse>(Wait);
        Assert.Equal(2ul, read.AppliedIndex);
        Assert.True(KvResult.Decode(read.Response).IsOk);
    }

    [Fact]
    public async Task A_query_for_the_child_goes_to_it_and_a_snapshot_waits_for_its_part()
    {
        var child = CreateTestProbe();
        var client = CreateTestProbe();
        var machine = Sys.ActorOf(Props.Create(() => new StateMachineActor(new SplitMachine(child.Ref), WatchSettings.Defaults)), "state-machine");
        machine.Tell(new ApplyEntries([Command(1, KvCommands.Put("k", "v"))], null, 1));

        machine.Tell(new ServeQuery([ToChild, 9], false, client.Ref, 1, 4, ReadPath.ReadIndex));
        var query = await child.ExpectMsgAsync<ChildQuery>(Wait);
        Assert.Equal((1ul, 1ul, 4ul, ReadPath.ReadIndex), (query.Applied, query.Leader, query.Term, query.Path));
        Assert.Equal(client.Ref, query.Client);

        machine.Tell(TakeStateMachineSnapshot.Instance);
        machine.Tell(new ServeQuery(KvQueries.Get("k"), false, client.Ref, 1, 4, ReadPath.Lease));
        await child.ExpectMsgAsync<ChildSnapshot>(Wait);
        await client.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
        child.Reply(new ChildSnapshotPart([5, 6]));

        var snapshot = await ExpectMsgAsync<StateMachineSnapshot>(Wait);
        Assert.Equal(1ul, snapshot.Index);
        Assert.Equal(new byte[] { 5, 6 }, snapshot.Data[^2..]);
        Assert.True(KvResult.Decode((await client.ExpectMsgAsync<QueryResponse>(Wait)).Response).IsOk);
    }
}
