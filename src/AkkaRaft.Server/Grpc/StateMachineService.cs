using AkkaRaft.Grpc.V1;
using Google.Protobuf;
using Grpc.Core;
using StateMachineBase = AkkaRaft.Grpc.V1.StateMachine.StateMachineBase;

namespace AkkaRaft.Server.Grpc;

/// <summary>
/// <c>akkaraft.v1.StateMachine</c> (protos/statemachine.proto): opaque bytes to the user's own state machine, as the
/// Akka messages <c>Write</c> and <c>Query</c> carry them (tinyraft's <c>Apply</c>), an Apply in a client session exactly
/// once. Served by a node started with a
/// state machine factory; a node that runs AkkaRaft's own stores answers UNIMPLEMENTED, since their command bytes are
/// not a public format (the Kv and TimeSeries services are their contract).
/// </summary>
public sealed class StateMachineService(RaftCalls calls) : StateMachineBase
{
    /// <inheritdoc />
    public override async Task<ApplyResponse> Apply(ApplyRequest request, ServerCallContext context)
    {
        RequireOwnStateMachine();
        if (request.Command.IsEmpty) throw RaftCalls.Invalid("command", "empty: a command is at least one byte (an empty log entry is the leader's no-op)");
        calls.CheckCommand(request.Command.Length, "command");
        if (request.Session is { Ephemeral: true })
            throw RaftCalls.Invalid("session.ephemeral", "ephemeral keys are the key/value store's; your state machine hears of a session's end in IStateMachine.SessionExpired");
        var session = KvService.SessionOf(request.Session, "session");
        var (written, term) = await calls.WriteAsync(request.Command.ToByteArray(), context, session).ConfigureAwait(false);
        return new ApplyResponse { Header = calls.Header(written.Index, written.Leader, term), Result = ByteString.CopyFrom(written.Response.Span) };
    }

    /// <inheritdoc />
    public override async Task<QueryReply> Query(QueryRequest request, ServerCallContext context)
    {
        RequireOwnStateMachine();
        var level = RaftCalls.LevelOf(request.Level, "level");
        var (read, term) = await calls.QueryAsync(request.Query.ToByteArray(), level, context).ConfigureAwait(false);
        return new QueryReply { Header = calls.Header(read.AppliedIndex, read.Leader, term), Result = ByteString.CopyFrom(read.Response.Span) };
    }

    /// <summary>
    /// A node started without a factory (<c>akkaraft serve</c>) runs <see cref="Node.NodeStateMachine"/>, the keys and
    /// series: the one kind of node that serves time series.
    /// </summary>
    private void RequireOwnStateMachine()
    {
        if (!calls.Node.ServesTimeSeries) return;
        throw new RpcException(new Status(StatusCode.Unimplemented,
            "this node runs AkkaRaft's own key/value and time-series stores, whose commands are not a public format: use the Kv and TimeSeries services. "
            + "StateMachine serves a node that runs your own state machine (AkkaRaftNode.StartAsync(config, factory) with GrpcFrontEnd.StartAsync(node))"));
    }
}
