using System.Diagnostics.CodeAnalysis;
using Akka.Actor;
using AkkaRaft.Client.Typed;
using AkkaRaft.Raft.Peer.Protocol;
using Google.Protobuf;

namespace AkkaRaft.Raft.StateMachines;

/// <summary>
/// A replicated state machine whose commands and queries are your own objects: other Akka apps send them in a
/// <see cref="TypedWrite"/> or <see cref="TypedQuery"/> and get your answer object back in a
/// <see cref="TypedWriteResult"/> or <see cref="TypedQueryResponse"/>. Derive from it, and start a node with
/// <c>AkkaRaftNode.StartAsync(config, system =&gt; new YourStateMachine(system))</c>.
/// </summary>
/// <remarks>
/// <para>
/// The log holds each command as the bytes Hyperion wrote on the client (<see cref="PayloadSerialization"/>), and
/// every peer deserializes the same bytes with its own actor system's serialization. Hyperion reads only the types in
/// <c>akka.actor.serialization-settings.hyperion.allowed-types</c>, which must list your command and query types and
/// every non-primitive type they hold (records, collections), and must be the same on every node, as your state
/// machine's code is. The leader reads a command before proposing it, so a command it cannot read is refused
/// (<see cref="RequestRejected"/>) and never reaches the log.
/// </para>
/// <para>
/// The determinism contract of <see cref="IStateMachine"/> holds for <see cref="Apply(in ApplyContext, TCommand)"/>:
/// only the state, the context and the command decide the new state and the answer; a command your state machine does
/// not accept is an answer that says so, not an exception. A command or query that does not deserialize (a type not
/// allowed, bytes that are no command) changes nothing and is answered with <see cref="RequestRejected"/>.
/// </para>
/// <para>
/// Handed bytes through <see cref="IStateMachine"/> (a plain <see cref="Write"/>, or <see cref="StateMachineConformance"/>
/// in your tests), it takes the frames <see cref="TypedFrames.Encode"/> makes and answers with frames
/// <see cref="TypedFrames.TryReadAnswer"/> reads; it reports no changed or read keys.
/// </para>
/// </remarks>
/// <typeparam name="TCommand">The type (often an interface or a base record) every command is.</typeparam>
/// <typeparam name="TQuery">The type every query is.</typeparam>
public abstract class TypedStateMachine<TCommand, TQuery> : IStateMachine, ITypedStateMachine
    where TCommand : class
    where TQuery : class
{
    private readonly PayloadSerialization _payloads;

    /// <summary>A state machine that reads its commands and queries with <paramref name="system"/>'s serialization (the node's actor system).</summary>
    protected TypedStateMachine(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        _payloads = PayloadSerialization.Get(system);
    }

    /// <inheritdoc />
    Type ITypedStateMachine.CommandType => typeof(TCommand);

    /// <summary>
    /// Applies one committed command and returns the answer for the client that sent it. Deterministic (see the
    /// remarks of <see cref="IStateMachine"/>). The answer crosses the wire as Hyperion writes it: the client must be able
    /// to read its type (its own <c>allowed-types</c>, when it lists any).
    /// </summary>
    /// <returns>The answer object; never null.</returns>
    protected abstract object Apply(in ApplyContext context, TCommand command);

    /// <summary>Answers a query from the current state without changing it.</summary>
    /// <returns>The answer object; never null.</returns>
    protected abstract object Query(TQuery query);

    /// <inheritdoc />
    public abstract void WriteSnapshot(Stream output);

    /// <inheritdoc />
    public abstract void RestoreSnapshot(Stream input);

    /// <inheritdoc />
    /// <remarks>By default a session's expiry changes nothing.</remarks>
    public virtual ApplyResult SessionExpired(in ApplyContext context, long sessionId) => ApplyResult.Unchanged(ReadOnlyMemory<byte>.Empty);

    /// <inheritdoc />
    ApplyResult IStateMachine.Apply(in ApplyContext context, ReadOnlyMemory<byte> command) =>
        new(TypedFrames.EncodeAnswer(_payloads, ((ITypedStateMachine)this).ApplyTyped(context, command)), []);

    /// <inheritdoc />
    QueryResult IStateMachine.Query(ReadOnlyMemory<byte> query) =>
        new(TypedFrames.EncodeAnswer(_payloads, ((ITypedStateMachine)this).QueryTyped(query)), []);

    /// <inheritdoc />
    TypedAnswer ITypedStateMachine.ApplyTyped(in ApplyContext context, ReadOnlyMemory<byte> frame)
    {
        if (!TryRead(frame, typeof(TCommand), out var command, out var refusal)) return TypedAnswer.Refused($"typed command refused: {refusal}");
        return TypedAnswer.Of(Apply(context, (TCommand)command) ?? throw Null(nameof(Apply), command));
    }

    /// <inheritdoc />
    TypedAnswer ITypedStateMachine.QueryTyped(ReadOnlyMemory<byte> frame)
    {
        if (!TryRead(frame, typeof(TQuery), out var query, out var refusal)) return TypedAnswer.Refused($"typed query refused: {refusal}");
        return TypedAnswer.Of(Query((TQuery)query) ?? throw Null(nameof(Query), query));
    }

    private bool TryRead(ReadOnlyMemory<byte> frame, Type expected, [NotNullWhen(true)] out object? value, [NotNullWhen(false)] out string? refusal)
    {
        value = null;
        if (TypedFrames.Decode(frame) is not { } payload)
        {
            refusal = $"its {frame.Length} bytes are no typed payload frame";
            return false;
        }

        return _payloads.TryDeserialize(payload, expected, out value, out refusal);
    }

    private InvalidOperationException Null(string method, object input) =>
        new($"{GetType().FullName}.{method} returned null for a {input.GetType().FullName}: a typed state machine answers every command and query with an object");
}

/// <summary>
/// The bytes a <see cref="TypedStateMachine{TCommand,TQuery}"/> takes and answers through <see cref="IStateMachine"/>: a
/// command or query frame holds the object as Akka's serialization wrote it (serializer id, manifest, bytes); an
/// answer frame holds the answer object the same way, or why the command or query was refused. Use them to drive a
/// typed state machine with <see cref="StateMachineStep"/>s and <see cref="StateMachineConformance"/> in your tests.
/// </summary>
public static class TypedFrames
{
    /// <summary>The frame of <paramref name="commandOrQuery"/>, serialized by <paramref name="system"/> as a client serializes it.</summary>
    /// <exception cref="System.Runtime.Serialization.SerializationException">The object cannot be serialized for a typed message (see <see cref="PayloadSerialization.Serialize"/>).</exception>
    public static byte[] Encode(ActorSystem system, object commandOrQuery)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(commandOrQuery);
        return Encode(PayloadSerialization.Get(system).Serialize(commandOrQuery));
    }

    /// <summary>Reads an answer frame with <paramref name="system"/>'s serialization.</summary>
    /// <returns>True with the answer object; false with the reason the command or query was refused.</returns>
    /// <exception cref="InvalidDataException"><paramref name="answer"/> is no answer frame.</exception>
    /// <exception cref="System.Runtime.Serialization.SerializationException">The answer object does not deserialize here.</exception>
    public static bool TryReadAnswer(ActorSystem system, ReadOnlyMemory<byte> answer, [NotNullWhen(true)] out object? response, [NotNullWhen(false)] out string? refusal)
    {
        ArgumentNullException.ThrowIfNull(system);
        TypedAnswerFrame frame;
        try
        {
            frame = TypedAnswerFrame.Parser.ParseFrom(answer.Span);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{answer.Length} bytes are no typed answer frame: {e.Message}", e);
        }

        response = null;
        refusal = null;
        if (frame.Response is null)
        {
            refusal = frame.Refused.Length > 0 ? frame.Refused : throw new InvalidDataException("a typed answer frame holds neither an answer nor a refusal");
            return false;
        }

        response = PayloadSerialization.Get(system).Deserialize(FromFrame(frame.Response));
        return true;
    }

    /// <summary>The frame of a payload (what the peer proposes for a <see cref="TypedWrite"/> and serves for a <see cref="TypedQuery"/>).</summary>
    internal static byte[] Encode(SerializedPayload payload) =>
        new TypedPayloadFrame { SerializerId = payload.SerializerId, Manifest = payload.Manifest, Bytes = ByteString.CopyFrom(payload.Bytes) }.ToByteArray();

    /// <summary>The payload a frame holds; null when the bytes are no frame.</summary>
    internal static SerializedPayload? Decode(ReadOnlyMemory<byte> frame)
    {
        try
        {
            return FromFrame(TypedPayloadFrame.Parser.ParseFrom(frame.Span));
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
    }

    /// <summary>The answer frame of <paramref name="answer"/>, its object serialized by <paramref name="payloads"/>.</summary>
    internal static byte[] EncodeAnswer(PayloadSerialization payloads, TypedAnswer answer)
    {
        var frame = answer.Response is { } response
            ? new TypedAnswerFrame { Response = FromPayload(payloads.Serialize(response)) }
            : new TypedAnswerFrame { Refused = answer.Refusal ?? "" };
        return frame.ToByteArray();
    }

    private static TypedPayloadFrame FromPayload(SerializedPayload payload) =>
        new() { SerializerId = payload.SerializerId, Manifest = payload.Manifest, Bytes = ByteString.CopyFrom(payload.Bytes) };

    private static SerializedPayload FromFrame(TypedPayloadFrame frame) => new(frame.SerializerId, frame.Manifest, frame.Bytes.ToByteArray());
}

/// <summary>What the peer's state machine host asks of a <see cref="TypedStateMachine{TCommand,TQuery}"/>: the answer object itself, not its bytes.</summary>
internal interface ITypedStateMachine
{
    /// <summary>The type every command must be; the leader reads a typed command as one before proposing it.</summary>
    Type CommandType { get; }

    /// <summary>Applies the command in <paramref name="frame"/> (a <see cref="TypedFrames"/> frame); deterministic.</summary>
    TypedAnswer ApplyTyped(in ApplyContext context, ReadOnlyMemory<byte> frame);

    /// <summary>Answers the query in <paramref name="frame"/> from the current state.</summary>
    TypedAnswer QueryTyped(ReadOnlyMemory<byte> frame);
}

/// <summary>A typed state machine's answer object, or why it refused the command or query (then nothing changed).</summary>
internal readonly record struct TypedAnswer(object? Response, string? Refusal)
{
    public static TypedAnswer Of(object response) => new(response, null);

    public static TypedAnswer Refused(string refusal) => new(null, refusal);
}
