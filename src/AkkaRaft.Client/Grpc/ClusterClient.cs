using AkkaRaft.Grpc.V1;
using Grpc.Core;
using ClusterStub = AkkaRaft.Grpc.V1.Cluster.ClusterClient;
using GrpcMember = AkkaRaft.Grpc.V1.Member;

namespace AkkaRaft.Client.Grpc;

/// <summary>A member as a node sees it (cluster.proto's Member).</summary>
/// <param name="Id">Its node id.</param>
/// <param name="Role">Leader, follower (a voter) or learner.</param>
/// <param name="RaftAddress">host:port of its Raft peer.</param>
/// <param name="HttpAddress">host:port of its HTTP API; empty while unknown.</param>
/// <param name="GrpcAddress">host:port of its gRPC API; empty while unknown or off.</param>
/// <param name="Lag">Entries it is behind the leader's last index; null unless the answering node leads (only a leader tracks progress).</param>
public sealed record ClusterMember(string Id, MemberRole Role, string RaftAddress, string HttpAddress, string GrpcAddress, ulong? Lag)
{
    internal static ClusterMember Of(GrpcMember m) => new(m.Id, m.Role, m.RaftAddress, m.HttpAddress, m.GrpcAddress, m.HasProgress ? m.Lag : null);

    internal static IReadOnlyList<ClusterMember> Of(IReadOnlyList<GrpcMember> members)
    {
        var result = new ClusterMember[members.Count];
        for (var i = 0; i < result.Length; i++) result[i] = Of(members[i]);
        return result;
    }
}

/// <summary>A node's view of the cluster (Cluster.Status).</summary>
/// <param name="Id">The node's id.</param>
/// <param name="Role">Its Raft role.</param>
/// <param name="Term">Its term.</param>
/// <param name="LeaderId">The leader's id; empty when none.</param>
/// <param name="CommitIndex">Its commit index.</param>
/// <param name="AppliedIndex">Its applied index.</param>
/// <param name="FirstIndex">The first index of its log.</param>
/// <param name="LastIndex">The last index of its log.</param>
/// <param name="Members">The members with their addresses.</param>
public sealed record ClusterStatus(string Id, NodeRole Role, ulong Term, string LeaderId, ulong CommitIndex, ulong AppliedIndex, ulong FirstIndex, ulong LastIndex, IReadOnlyList<ClusterMember> Members);

/// <summary>A Join's outcome.</summary>
/// <param name="Role">Follower (a voter now) or learner.</param>
/// <param name="Members">The members after the join.</param>
/// <param name="Header">Who answered; <c>Header.Index</c> is the change's index.</param>
public sealed record JoinResult(MemberRole Role, IReadOnlyList<ClusterMember> Members, RaftHeader Header);

/// <summary>A SetVoters' outcome.</summary>
/// <param name="Voters">The voters now.</param>
/// <param name="Learners">The learners now.</param>
/// <param name="Header">Who answered; <c>Header.Index</c> is the final configuration's entry.</param>
public sealed record VotersResult(IReadOnlyList<string> Voters, IReadOnlyList<string> Learners, RaftHeader Header);

/// <summary>
/// Status and membership (<c>akkaraft.v1.Cluster</c>, protos/cluster.proto) through an <see cref="AkkaRaftGrpcClient"/>.
/// Membership changes follow the leader and are writes (never sent again once they may have been made). Errors are
/// the exceptions of <see cref="AkkaRaftGrpcClient.CallAsync{TResponse}"/>; the node's own statuses come as
/// <see cref="RpcException"/>: NOT_FOUND (Remove of a non-member), FAILED_PRECONDITION (SetVoters' expected voters
/// were not the voters), INVALID_ARGUMENT naming the field.
/// </summary>
public sealed class ClusterClient(AkkaRaftGrpcClient client)
{
    private readonly AkkaRaftGrpcClient _client = client ?? throw new ArgumentNullException(nameof(client));

    /// <summary>The view of the node the client calls first (the last leader, once known).</summary>
    public async Task<ClusterStatus> StatusAsync(DateTime? deadline = null, CancellationToken cancellationToken = default)
    {
        var r = await _client.CallAsync(RaftCallKind.Read, (invoker, options) => new ClusterStub(invoker).StatusAsync(new StatusRequest(), options), deadline, null, cancellationToken).ConfigureAwait(false);
        return new ClusterStatus(r.Id, r.Role, r.Term, r.LeaderId, r.CommitIndex, r.AppliedIndex, r.FirstIndex, r.LastIndex, ClusterMember.Of(r.Members));
    }

    /// <summary>Adds node <paramref name="id"/> as a learner, promoted to voter once caught up unless <paramref name="learner"/>.</summary>
    public async Task<JoinResult> JoinAsync(string id, string raftAddress, string httpAddress = "", string grpcAddress = "", bool learner = false, DateTime? deadline = null, CancellationToken cancellationToken = default)
    {
        var request = new JoinRequest { Id = id, RaftAddress = raftAddress, HttpAddress = httpAddress, GrpcAddress = grpcAddress, Learner = learner };
        var r = await _client.CallAsync(RaftCallKind.Write, (invoker, options) => new ClusterStub(invoker).JoinAsync(request, options), deadline, null, cancellationToken).ConfigureAwait(false);
        return new JoinResult(r.Role, ClusterMember.Of(r.Members), RaftHeader.Of(r.Header));
    }

    /// <summary>Removes member <paramref name="id"/>; the result's <c>Index</c> is the change's entry.</summary>
    public async Task<RaftHeader> RemoveAsync(string id, DateTime? deadline = null, CancellationToken cancellationToken = default)
    {
        var request = new RemoveRequest { Id = id };
        var r = await _client.CallAsync(RaftCallKind.Write, (invoker, options) => new ClusterStub(invoker).RemoveAsync(request, options), deadline, null, cancellationToken).ConfigureAwait(false);
        return RaftHeader.Of(r.Header);
    }

    /// <summary>
    /// Moves the cluster to exactly <paramref name="voters"/> and <paramref name="learners"/>; with
    /// <paramref name="expectedVoters"/>, only if those are the voters now (FAILED_PRECONDITION otherwise).
    /// </summary>
    public async Task<VotersResult> SetVotersAsync(IEnumerable<string> voters, IEnumerable<string>? learners = null, IEnumerable<string>? expectedVoters = null, DateTime? deadline = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(voters);
        var request = new SetVotersRequest { Voters = { voters }, Learners = { learners ?? [] } };
        if (expectedVoters is not null) request.Expect = new NodeIdSet { Ids = { expectedVoters } };
        var r = await _client.CallAsync(RaftCallKind.Write, (invoker, options) => new ClusterStub(invoker).SetVotersAsync(request, options), deadline, null, cancellationToken).ConfigureAwait(false);
        return new VotersResult([.. r.Voters], [.. r.Learners], RaftHeader.Of(r.Header));
    }

    /// <summary>Hands leadership to voter <paramref name="id"/> (empty: any other voter); returns the voter it goes to.</summary>
    public async Task<string> TransferLeaderAsync(string id = "", DateTime? deadline = null, CancellationToken cancellationToken = default)
    {
        var request = new TransferLeaderRequest { Id = id };
        var r = await _client.CallAsync(RaftCallKind.Write, (invoker, options) => new ClusterStub(invoker).TransferLeaderAsync(request, options), deadline, null, cancellationToken).ConfigureAwait(false);
        return r.TransferringTo;
    }
}
