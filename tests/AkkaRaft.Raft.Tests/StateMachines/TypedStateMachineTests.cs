using AkkaRaft.Raft.StateMachines;
using Xunit.Abstractions;

namespace AkkaRaft.Raft.Tests.StateMachines;

/// <summary>
/// A typed state machine through <see cref="IStateMachine"/>, as a plain <c>Write</c> or a test reaches it: frames in
/// (<see cref="TypedFrames.Encode"/>), answer frames out, and the contract <see cref="StateMachineConformance"/> checks.
/// </summary>
public sealed class TypedStateMachineTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(PayloadSerializationTests.NodeConfig(Tally.AllowedTypes), "typed-machine", output)
{
    private byte[] Frame(object value) => TypedFrames.Encode(Sys, value);

    [Fact]
    public void A_typed_state_machine_should_hold_to_the_state_machine_contract_through_frames()
    {
        var steps = new[]
        {
            StateMachineStep.Command(Frame(new Add("a", 1))),
            StateMachineStep.Command(Frame(new Add("b", 5)), sessionId: 7),
            StateMachineStep.Command(Frame(new Secret("a"))),
            StateMachineStep.Command(Frame(new Add("a", 2))),
            StateMachineStep.Command(new byte[] { 0xff, 0x01 }),
            StateMachineStep.ExpireSession(7),
            StateMachineStep.Command(Frame(new Reset("b"))),
        };
        var queries = new ReadOnlyMemory<byte>[] { Frame(new TotalOf("a")), Frame(new TotalOf("b")), Frame(new Secret("x")) };

        StateMachineConformance.CheckAll(() => new Tally(Sys), steps, queries);
    }

    [Fact]
    public void Answers_through_frames_should_be_the_objects_and_a_refused_command_should_change_nothing()
    {
        IStateMachine machine = new Tally(Sys);
        var results = StateMachineStep.ApplyAll(machine, [
            StateMachineStep.Command(Frame(new Add("a", 4))),
            StateMachineStep.Command(Frame(new Secret("a"))),
            StateMachineStep.Command(new byte[] { 1, 2, 3 }),
        ]);

        Assert.True(TypedFrames.TryReadAnswer(Sys, results[0].Response, out var added, out _));
        Assert.Equal(new Total("a", 4), added);
        Assert.False(TypedFrames.TryReadAnswer(Sys, results[1].Response, out _, out var refusal));
        Assert.StartsWith("typed command refused: the type 'AkkaRaft.Raft.Tests.StateMachines.Secret, AkkaRaft.Raft.Tests' is not in akka.actor.serialization-settings.hyperion.allowed-types", refusal);
        Assert.False(TypedFrames.TryReadAnswer(Sys, results[2].Response, out _, out refusal));
        Assert.StartsWith("typed command refused: ", refusal);
        Assert.All(results, r => Assert.Empty(r.ChangedKeys));

        // Secret would have set a's tally to -1: it was never applied.
        Assert.True(TypedFrames.TryReadAnswer(Sys, machine.Query(Frame(new TotalOf("a"))).Response, out var total, out _));
        Assert.Equal(new Total("a", 4), total);
        Assert.Throws<InvalidDataException>(() => TypedFrames.TryReadAnswer(Sys, new byte[] { 0xff }, out _, out _));
    }
}
