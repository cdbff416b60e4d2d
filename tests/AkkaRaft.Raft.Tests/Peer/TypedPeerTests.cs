using Akka.Actor;
using AkkaRaft.Client;
using AkkaRaft.Client.Typed;
using AkkaRaft.Kv;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer;
using AkkaRaft.Raft.StateMachines;
using AkkaRaft.Raft.Tests.StateMachines;
using Xunit.Abstractions;

namespace AkkaRaft.Raft.Tests.Peer;

/// <summary>
/// A Raft peer with a typed state machine (<see cref="Tally"/>) answering <see cref="TypedWrite"/> and
/// <see cref="TypedQuery"/>: as objects from this process, and as the serialized payloads they become on the wire. A
/// command outside the node's allowed types is refused before it is proposed, and the peer goes on serving.
/// </summary>
public sealed class TypedPeerTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(PayloadSerializationTests.NodeConfig(Tally.AllowedTypes, """
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        """), "typed-peer", output)
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);

    private async Task<IActorRef> LeaderAsync(string name, Func<IStateMachine> machine)
    {
        var setup = new RaftPeerSetup(1, [1], new ActorRefTransport(), machine, RaftPeerSettings.Default) { PersistenceId = name };
        var peer = Sys.ActorOf(RaftPeer.Props(setup), name);
        await AwaitAssertAsync(async () => Assert.Equal(RaftRole.Leader, (await peer.Ask<PeerStatus>(GetPeerStatus.Instance, AskTimeout)).Role),
            TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100));
        return peer;
    }

    [Fact]
    public async Task A_typed_command_should_be_applied_and_answered_with_the_state_machines_object_and_read_back_at_every_level()
    {
        var peer = await LeaderAsync("tally-1", () => new Tally(Sys));

        var first = Assert.IsType<TypedWriteResult>(await peer.Ask<object>(new TypedWrite(new Add("apples", 2)), AskTimeout));
        Assert.Equal(new Total("apples", 2), first.Response);
        Assert.Equal(1UL, first.Leader);
        // As it arrives from another actor system: the payload, which the peer reads before proposing it.
        var wire = PayloadSerialization.Get(Sys).Serialize(new Add("apples", 3));
        var second = Assert.IsType<TypedWriteResult>(await peer.Ask<object>(new TypedWrite(wire), AskTimeout));
        Assert.Equal(new Total("apples", 5), second.Response);
        Assert.Equal(first.Index + 1, second.Index);

        foreach (var level in new[] { ReadLevel.Stale, ReadLevel.Default, ReadLevel.Consistent })
        {
            var read = Assert.IsType<TypedQueryResponse>(await peer.Ask<object>(new TypedQuery(new TotalOf("apples"), level), AskTimeout));
            Assert.Equal(new Total("apples", 5), read.Response);
            Assert.True(read.AppliedIndex >= second.Index, $"{level}: applied {read.AppliedIndex}, written at {second.Index}");
        }

        var byPayload = Assert.IsType<TypedQueryResponse>(await peer.Ask<object>(
            new TypedQuery(PayloadSerialization.Get(Sys).Serialize(new TotalOf("apples")), ReadLevel.Consistent), AskTimeout));
        Assert.Equal(ReadPath.ReadIndex, byPayload.ServedBy);
        Assert.Equal(new Total("apples", 5), byPayload.Response);
    }

    [Fact]
    public async Task A_typed_command_outside_the_allowed_types_should_be_refused_never_proposed_and_the_peer_should_keep_serving()
    {
        var peer = await LeaderAsync("tally-2", () => new Tally(Sys));
        await peer.Ask<object>(new TypedWrite(new Add("pears", 1)), AskTimeout);
        var before = await peer.Ask<PeerStatus>(GetPeerStatus.Instance, AskTimeout);

        foreach (var command in new object[] { new Secret("pears"), PayloadSerialization.Get(Sys).Serialize(new Secret("pears")) })
        {
            var refused = Assert.IsType<RequestRejected>(await peer.Ask<object>(new TypedWrite(command), AskTimeout));
            Assert.Equal(
                "typed write refused, nothing was proposed: the type 'AkkaRaft.Raft.Tests.StateMachines.Secret, AkkaRaft.Raft.Tests' is not in " +
                "akka.actor.serialization-settings.hyperion.allowed-types (add \"AkkaRaft.Raft.Tests.StateMachines.Secret, AkkaRaft.Raft.Tests\" there to accept it)",
                refused.Reason);
        }

        var nested = Assert.IsType<RequestRejected>(await peer.Ask<object>(new TypedWrite(new Holder(new Inner("pears"))), AskTimeout));
        Assert.Contains("'AkkaRaft.Raft.Tests.StateMachines.Inner, AkkaRaft.Raft.Tests' is not in", nested.Reason);
        var notACommand = Assert.IsType<RequestRejected>(await peer.Ask<object>(new TypedWrite(new TotalOf("pears")), AskTimeout));
        Assert.EndsWith("it is a AkkaRaft.Raft.Tests.StateMachines.TotalOf, not a AkkaRaft.Raft.Tests.StateMachines.ITallyCommand", notACommand.Reason);

        // Nothing reached the log, and the peer serves on.
        var after = await peer.Ask<PeerStatus>(GetPeerStatus.Instance, AskTimeout);
        Assert.Equal(before.LastIndex, after.LastIndex);
        Assert.Equal(before.Term, after.Term);
        var next = Assert.IsType<TypedWriteResult>(await peer.Ask<object>(new TypedWrite(new Add("pears", 1)), AskTimeout));
        Assert.Equal(before.LastIndex + 1, next.Index);
        Assert.Equal(new Total("pears", 2), next.Response);
    }

    [Fact]
    public async Task A_typed_query_outside_the_allowed_types_should_be_refused_where_it_is_served()
    {
        var peer = await LeaderAsync("tally-3", () => new Tally(Sys));

        foreach (var level in new[] { ReadLevel.Stale, ReadLevel.Consistent })
        {
            var refused = Assert.IsType<RequestRejected>(await peer.Ask<object>(new TypedQuery(new Secret("q"), level), AskTimeout));
            Assert.StartsWith("typed query refused: the type 'AkkaRaft.Raft.Tests.StateMachines.Secret, AkkaRaft.Raft.Tests' is not in akka.actor.serialization-settings.hyperion.allowed-types", refused.Reason);
        }

        Assert.IsType<TypedQueryResponse>(await peer.Ask<object>(new TypedQuery(new TotalOf("q")), AskTimeout));
    }

    [Fact]
    public async Task A_peer_whose_state_machine_takes_no_typed_commands_should_refuse_them_without_proposing()
    {
        var peer = await LeaderAsync("kv-1", () => new KvStateMachine(KvSettings.Default));
        var before = await peer.Ask<PeerStatus>(GetPeerStatus.Instance, AskTimeout);

        var write = Assert.IsType<RequestRejected>(await peer.Ask<object>(new TypedWrite(new Add("a", 1)), AskTimeout));
        Assert.Equal("typed write refused, nothing was proposed: this node's state machine takes no typed commands; send Write with its bytes", write.Reason);
        var query = Assert.IsType<RequestRejected>(await peer.Ask<object>(new TypedQuery(new TotalOf("a")), AskTimeout));
        Assert.StartsWith("this state machine (KvStateMachine) takes no typed queries", query.Reason);

        Assert.Equal(before.LastIndex, (await peer.Ask<PeerStatus>(GetPeerStatus.Instance, AskTimeout)).LastIndex);
    }

    [Fact]
    public async Task An_object_that_cannot_be_written_for_a_typed_message_should_be_refused()
    {
        var peer = await LeaderAsync("tally-4", () => new Tally(Sys));

        // Hyperion never writes the types it knows to be dangerous.
        var refused = Assert.IsType<RequestRejected>(await peer.Ask<object>(new TypedWrite(new System.IO.DirectoryInfo("/")), AskTimeout));
        Assert.StartsWith("typed write refused, nothing was proposed: ", refused.Reason);
    }
}
