using AkkaRaft.Client;
using AkkaRaft.Client.Kv;
using AkkaRaft.Grpc.V1;
using AkkaRaft.Raft.Core;
using AkkaRaft.Server.Node;
using Grpc.Core;
using GrpcMember = AkkaRaft.Grpc.V1.Member;
using NodeMember = AkkaRaft.Server.Node.Member;

namespace AkkaRaft.Server.Grpc;

/// <summary>
/// <c>akkaraft.v1.Cluster</c> (protos/cluster.proto): status and membership, as the HTTP API's <c>/status</c>,
/// <c>/join</c>, <c>DELETE /join/{id}</c>, <c>/config</c> and <c>/leader</c>. Membership calls are served by the leader;
/// another member answers UNAVAILABLE naming it, or passes the call on with <c>forward: true</c>.
/// </summary>
public sealed class ClusterService(RaftCalls calls) : Cluster.ClusterBase
{
    private AkkaRaftNode Node => calls.Node;

    /// <inheritdoc />
    public override async Task<StatusResponse> Status(StatusRequest request, ServerCallContext context)
    {
        var status = await calls.StatusAsync(context).ConfigureAwait(false);
        var response = new StatusResponse
        {
            Header = calls.Header(status.AppliedIndex, status.Leader, status.Term),
            Id = Node.Id,
            Role = status.Role switch
            {
                RaftRole.Leader => NodeRole.Leader,
                RaftRole.Candidate => NodeRole.Candidate,
                RaftRole.PreCandidate => NodeRole.PreCandidate,
                _ => NodeRole.Follower,
            },
            Term = status.Term,
            LeaderId = status.Leader == RaftIds.None ? "" : calls.NameOf(status.Leader),
            CommitIndex = status.CommitIndex,
            AppliedIndex = status.AppliedIndex,
            FirstIndex = status.FirstIndex,
            LastIndex = status.LastIndex,
        };
        response.Members.AddRange(MembersOf(status));
        return response;
    }

    /// <inheritdoc />
    public override async Task<JoinResponse> Join(JoinRequest request, ServerCallContext context)
    {
        if (!NodeIds.IsValidName(request.Id) || request.Id.Length == 0)
        {
            throw RaftCalls.Invalid("id", $"'{request.Id}' is not a node id: 1 to {AkkaRaft.Configuration.NodeSettings.IdLengthMax} letters, digits, '-', '_' or '.'");
        }

        if (!Node.ServesKeyValue) throw new RpcException(new global::Grpc.Core.Status(StatusCode.FailedPrecondition, AkkaRaftNode.NoMemberRecordsReason));
        var raft = Address(request.RaftAddress, "raft_address", required: true)!;
        var http = Address(request.HttpAddress, "http_address", required: false);
        var grpc = Address(request.GrpcAddress, "grpc_address", required: false);
        var status = await calls.StatusAsync(context).ConfigureAwait(false);
        if (status.Role != RaftRole.Leader)
        {
            return await calls.OnLeaderAsync(status, context, (invoker, options) => new Cluster.ClusterClient(invoker).JoinAsync(request, options)).ConfigureAwait(false);
        }

        var member = new NodeMember(request.Id, raft, http ?? "", grpc);
        // The record first: once the leader's transport knows the address, the configuration change can replicate to it.
        var (recorded, _) = await calls.WriteAsync(KvCommands.Put(MemberDirectory.KeyOf(member.Id), member.ToJsonBytes()), context).ConfigureAwait(false);
        if (!KvResult.Decode(recorded.Response).IsOk) throw new RpcException(new global::Grpc.Core.Status(StatusCode.Internal, "the member record could not be written"));
        Node.Directory.Upsert(member);
        var answer = await calls.MembershipAsync(timeout => new AddLearner(member.RaftId, PromoteWhenCaughtUp: !request.Learner, timeout), context).ConfigureAwait(false);
        if (answer is RequestRejected rejected) throw new RpcException(new global::Grpc.Core.Status(StatusCode.FailedPrecondition, rejected.Reason));
        if (answer is not MembershipChanged changed) throw calls.Failure(answer);
        var after = await calls.StatusAsync(context).ConfigureAwait(false);
        var response = new JoinResponse
        {
            Header = calls.Header(changed.Index, Node.RaftId, after.Term),
            Role = changed.Voters.Contains(member.RaftId) ? MemberRole.Follower : MemberRole.Learner,
        };
        response.Members.AddRange(MembersOf(after));
        return response;
    }

    /// <inheritdoc />
    public override async Task<RemoveResponse> Remove(RemoveRequest request, ServerCallContext context)
    {
        if (!NodeIds.IsValidName(request.Id) || request.Id.Length == 0) throw RaftCalls.Invalid("id", $"'{request.Id}' is not a node id");
        var status = await calls.StatusAsync(context).ConfigureAwait(false);
        if (status.Role != RaftRole.Leader)
        {
            return await calls.OnLeaderAsync(status, context, (invoker, options) => new Cluster.ClusterClient(invoker).RemoveAsync(request, options)).ConfigureAwait(false);
        }

        var raftId = NodeIds.RaftIdOf(request.Id);
        if (!status.Members.Any(m => m.NodeId == raftId) && !status.Voters.Contains(raftId))
        {
            throw new RpcException(new global::Grpc.Core.Status(StatusCode.NotFound, $"node '{request.Id}' is not a member"));
        }

        var answer = await calls.MembershipAsync(timeout => new RemoveVoter(raftId, timeout), context).ConfigureAwait(false);
        if (answer is RequestRejected rejected) throw new RpcException(new global::Grpc.Core.Status(StatusCode.FailedPrecondition, rejected.Reason));
        if (answer is not MembershipChanged changed) throw calls.Failure(answer);
        // The Raft configuration no longer has it: this (leading) node downs it in the Akka cluster, and forgets its record.
        Node.CheckClusterMembership();
        if (Node.ServesKeyValue) await calls.AskAsync(new Write(KvCommands.Delete(MemberDirectory.KeyOf(request.Id))), Node.Settings.Grpc.RequestTimeout, context, write: true).ConfigureAwait(false);
        return new RemoveResponse { Header = calls.Header(changed.Index, Node.RaftId, status.Term) };
    }

    /// <inheritdoc />
    public override async Task<SetVotersResponse> SetVoters(SetVotersRequest request, ServerCallContext context)
    {
        var voters = Ids(request.Voters, "voters");
        if (voters.Count == 0) throw RaftCalls.Invalid("voters", "empty: a cluster needs at least one voter");
        var learners = Ids(request.Learners, "learners");
        var expect = request.Expect is null ? null : Ids(request.Expect.Ids, "expect.ids");
        if (voters.Intersect(learners, StringComparer.Ordinal).FirstOrDefault() is { } both) throw RaftCalls.Invalid("learners", $"node '{both}' is also in voters");
        var status = await calls.StatusAsync(context).ConfigureAwait(false);
        if (status.Role != RaftRole.Leader)
        {
            return await calls.OnLeaderAsync(status, context, (invoker, options) => new Cluster.ClusterClient(invoker).SetVotersAsync(request, options)).ConfigureAwait(false);
        }

        foreach (var (ids, field) in new[] { (voters, "voters"), (learners, "learners") })
        {
            if (ids.FirstOrDefault(id => Node.Directory.Find(id) is null) is { } unknown)
            {
                throw RaftCalls.Invalid(field, $"unknown node '{unknown}': a node must join first (Join, or serve --join ... --learner) so that the cluster knows its address");
            }
        }

        var answer = await calls.MembershipAsync(
            timeout => new SetConfiguration(voters.Select(NodeIds.RaftIdOf).ToArray(), learners.Select(NodeIds.RaftIdOf).ToArray(), expect?.Select(NodeIds.RaftIdOf).ToArray(), timeout),
            context).ConfigureAwait(false);
        if (answer is not MembershipChanged changed) throw calls.Failure(answer);
        // Akka.Cluster follows: this (leading) node downs the members Raft no longer has.
        Node.CheckClusterMembership();
        var response = new SetVotersResponse { Header = calls.Header(changed.Index, Node.RaftId, status.Term) };
        response.Voters.AddRange(changed.Voters.Select(calls.NameOf).Order(StringComparer.Ordinal));
        response.Learners.AddRange(changed.Learners.Select(calls.NameOf).Order(StringComparer.Ordinal));
        return response;
    }

    /// <inheritdoc />
    public override async Task<TransferLeaderResponse> TransferLeader(TransferLeaderRequest request, ServerCallContext context)
    {
        var status = await calls.StatusAsync(context).ConfigureAwait(false);
        if (status.Role != RaftRole.Leader)
        {
            return await calls.OnLeaderAsync(status, context, (invoker, options) => new Cluster.ClusterClient(invoker).TransferLeaderAsync(request, options)).ConfigureAwait(false);
        }

        var target = request.Id.Length == 0 ? status.Voters.FirstOrDefault(v => v != Node.RaftId) : NodeIds.RaftIdOf(request.Id);
        if (target == RaftIds.None || target == Node.RaftId || !status.Voters.Contains(target))
        {
            throw RaftCalls.Invalid("id", request.Id.Length == 0 ? "empty, and there is no other voter to transfer leadership to" : $"'{request.Id}' is not another voter of the cluster");
        }

        var answer = await calls.AskAsync(new TransferLeadership(target), calls.BudgetOf(context), context, write: false).ConfigureAwait(false);
        if (answer is RequestRejected rejected) throw new RpcException(new global::Grpc.Core.Status(StatusCode.FailedPrecondition, rejected.Reason));
        if (answer is not PeerStatus) throw calls.Failure(answer);
        return new TransferLeaderResponse { Header = calls.Header(status.AppliedIndex, status.Leader, status.Term), TransferringTo = calls.NameOf(target) };
    }

    private List<GrpcMember> MembersOf(PeerStatus status) => status.Members.Select(m =>
    {
        var known = Node.Directory.Find(m.NodeId);
        var member = new GrpcMember
        {
            Id = calls.NameOf(m.NodeId),
            Role = !m.IsVoter ? MemberRole.Learner : m.NodeId == status.Leader ? MemberRole.Leader : MemberRole.Follower,
            RaftAddress = known?.Raft ?? "",
            HttpAddress = known?.Http ?? "",
            GrpcAddress = known?.Grpc ?? "",
        };
        if (m.Progress is { } progress)
        {
            member.HasProgress = true;
            member.MatchIndex = progress.Match;
            member.NextIndex = progress.Next;
            member.Lag = status.LastIndex > progress.Match ? status.LastIndex - progress.Match : 0;
        }

        return member;
    }).ToList();

    private static string? Address(string text, string field, bool required)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return required ? throw RaftCalls.Invalid(field, "missing: the joining node's host:port") : null;
        }

        return HostPort.TryParse(text, out var address) && address.Port != 0 ? address.ToString() : throw RaftCalls.Invalid(field, $"'{text}' is not host:port");
    }

    private static List<string> Ids(IEnumerable<string> ids, string field)
    {
        var list = new List<string>();
        foreach (var id in ids)
        {
            if (id.Length == 0 || !NodeIds.IsValidName(id)) throw RaftCalls.Invalid(field, $"'{id}' is not a node id");
            if (list.Contains(id, StringComparer.Ordinal)) throw RaftCalls.Invalid(field, $"node '{id}' is listed twice");
            list.Add(id);
        }

        return list;
    }
}
