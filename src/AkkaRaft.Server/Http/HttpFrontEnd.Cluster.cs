using Akka.Actor;
using System.Globalization;
using System.Text;
using System.Text.Json;
using AkkaRaft.Client;
using AkkaRaft.Client.Kv;
using AkkaRaft.Kv;
using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Peer;
using AkkaRaft.Server.Node;
using AkkaRaft.Server.Security;

namespace AkkaRaft.Server.Http;

// Membership, leadership, status and metrics. Membership changes go to the leader: a member that is not the
// leader passes the HTTP request on to the leader's HTTP address and relays its answer (a joining node need not
// know who leads).
public sealed partial class HttpFrontEnd
{
    /// <summary>
    /// The body of <c>POST /join</c>, as raftdb's (<c>id</c>, <c>addr</c> = Raft address) plus the joiner's HTTP address
    /// and whether it stays a learner (<c>learner: true</c>) instead of being promoted to voter once caught up, and its
    /// gRPC address (<c>grpc</c>) when it serves the gRPC API.
    /// </summary>
    internal sealed record JoinRequest(string Id, string Addr, string? Http, bool Learner = false, string? Grpc = null);

    /// <summary>The body of <c>POST /config</c>: the voters and learners wanted, by node id, and optionally the voters expected now.</summary>
    internal sealed record ConfigRequest(IReadOnlyList<string> Voters, IReadOnlyList<string> Learners, IReadOnlyList<string>? ExpectVoters);

    private async Task JoinAsync(HttpContext context)
    {
        if (!_node.ServesKeyValue) throw new BadRequestException(StatusCodes.Status409Conflict, AkkaRaftNode.NoMemberRecordsReason);
        var body = await ReadBodyAsync(context).ConfigureAwait(false);
        var request = ParseJoin(body);
        var status = await _node.StatusAsync(context.RequestAborted).ConfigureAwait(false);
        if (status.Role != RaftRole.Leader)
        {
            await RelayToLeaderAsync(context, status, body).ConfigureAwait(false);
            return;
        }

        var member = new Member(request.Id, request.Addr, request.Http ?? "", request.Grpc);
        // The record first: once the leader's transport knows the address, the configuration change can replicate to it.
        var recorded = await WriteAsync(context, KvCommands.Put(MemberDirectory.KeyOf(member.Id), member.ToJsonBytes())).ConfigureAwait(false);
        if (recorded is null) return;
        _node.Directory.Upsert(member);
        // A joiner starts as a learner (it counts towards no quorum while it catches up); unless it asked to stay one, the
        // leader promotes it once caught up and answers then. A member joining again (a restart) is answered at once.
        var answer = await AskMembershipAsync(new AddLearner(member.RaftId, PromoteWhenCaughtUp: !request.Learner, _node.Settings.RequestTimeout), context.RequestAborted)
            .ConfigureAwait(false);
        if (answer is RequestRejected rejected)
        {
            await Problems.WriteAsync(context, 409, rejected.Reason).ConfigureAwait(false);
            return;
        }

        if (answer is not MembershipChanged changed)
        {
            await AnswerPeerFailureAsync(context, answer).ConfigureAwait(false);
            return;
        }

        await WriteJsonAsync(context, 200, new Dictionary<string, object>
        {
            ["id"] = member.Id,
            ["role"] = changed.Voters.Contains(member.RaftId) ? "voter" : "learner",
            ["leader"] = _node.Id,
            ["members"] = _node.Directory.Members,
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>POST /config</c>: moves the cluster to exactly the voters and learners named, in one change (a joint
    /// configuration when it takes more than one step), and answers once the final configuration committed. Every node
    /// named must be a known member (one that joined, or a founder): the leader must know its address to replicate to it.
    /// </summary>
    private async Task SetConfigAsync(HttpContext context)
    {
        var body = await ReadBodyAsync(context).ConfigureAwait(false);
        var request = ParseConfig(body);
        var status = await _node.StatusAsync(context.RequestAborted).ConfigureAwait(false);
        if (status.Role != RaftRole.Leader)
        {
            await RelayToLeaderAsync(context, status, body).ConfigureAwait(false);
            return;
        }

        var unknown = request.Voters.Concat(request.Learners).Where(id => _node.Directory.Find(id) is null).Distinct().ToList();
        if (unknown.Count > 0)
        {
            throw new BadRequestException(400, $"unknown node{(unknown.Count > 1 ? "s" : "")} {string.Join(", ", unknown.Select(u => $"'{u}'"))}: a node must join "
                                               + "first (serve --join ... --learner, or POST /join) so that the cluster knows its address");
        }

        var raftIds = (IReadOnlyList<string> ids) => ids.Select(NodeIds.RaftIdOf).ToArray();
        var answer = await AskMembershipAsync(
            new SetConfiguration(raftIds(request.Voters), raftIds(request.Learners), request.ExpectVoters is { } expect ? raftIds(expect) : null, _node.Settings.RequestTimeout),
            context.RequestAborted).ConfigureAwait(false);
        switch (answer)
        {
            case MembershipChanged changed:
                // Akka.Cluster follows: this (leading) node downs the members Raft no longer has.
                _node.CheckClusterMembership();
                await WriteJsonAsync(context, 200, new Dictionary<string, object>
                {
                    ["index"] = changed.Index,
                    ["voters"] = changed.Voters.Select(NameOf).Order(StringComparer.Ordinal).ToList(),
                    ["learners"] = changed.Learners.Select(NameOf).Order(StringComparer.Ordinal).ToList(),
                }).ConfigureAwait(false);
                return;
            case ConfigurationMismatch mismatch:
                var voters = mismatch.Voters.Select(NameOf).Order(StringComparer.Ordinal).ToList();
                await Problems.WriteAsync(context, 409, $"the voters are [{string.Join(", ", voters)}], not the ones expected; nothing was changed", null,
                    new Dictionary<string, object> { ["voters"] = voters, ["learners"] = mismatch.Learners.Select(NameOf).Order(StringComparer.Ordinal).ToList() })
                    .ConfigureAwait(false);
                return;
            default:
                await AnswerPeerFailureAsync(context, answer).ConfigureAwait(false);
                return;
        }
    }

    internal static ConfigRequest ParseConfig(byte[] body)
    {
        const string shape = "send {\"voters\": [\"node01\", ...], \"learners\": [...], \"expect\": {\"voters\": [...]}} (learners and expect are optional)";
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(body.Length == 0 ? "null"u8.ToArray() : body);
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new BadRequestException(400, $"the body is not valid JSON: {e.Message}; {shape}");
        }

        if (root.ValueKind != JsonValueKind.Object) throw new BadRequestException(400, $"the body must be a JSON object; {shape}");
        foreach (var property in root.EnumerateObject())
        {
            if (property.Name is not ("voters" or "learners" or "expect")) throw new BadRequestException(400, $"unknown field \"{property.Name}\"; {shape}");
        }

        if (!root.TryGetProperty("voters", out var votersElement)) throw new BadRequestException(400, $"\"voters\" is missing; {shape}");
        var voters = NodeIdList(votersElement, "voters");
        if (voters.Count == 0) throw new BadRequestException(400, "\"voters\" is empty: a cluster needs at least one voter");
        var learners = root.TryGetProperty("learners", out var learnersElement) ? NodeIdList(learnersElement, "learners") : [];
        IReadOnlyList<string>? expect = null;
        if (root.TryGetProperty("expect", out var expectElement))
        {
            if (expectElement.ValueKind != JsonValueKind.Object || !expectElement.TryGetProperty("voters", out var expectVoters) || expectElement.EnumerateObject().Count() != 1)
            {
                throw new BadRequestException(400, $"\"expect\" must be {{\"voters\": [...]}}; {shape}");
            }

            expect = NodeIdList(expectVoters, "expect.voters");
        }

        if (voters.Intersect(learners, StringComparer.Ordinal).FirstOrDefault() is { } both)
        {
            throw new BadRequestException(400, $"node '{both}' is listed as both a voter and a learner");
        }

        return new ConfigRequest(voters, learners, expect);
    }

    private static List<string> NodeIdList(JsonElement element, string field)
    {
        if (element.ValueKind != JsonValueKind.Array) throw new BadRequestException(400, $"\"{field}\" must be an array of node ids");
        var ids = new List<string>();
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || item.GetString() is not { Length: > 0 } id) throw new BadRequestException(400, $"\"{field}\" must hold node ids (non-empty strings), got {item.GetRawText()}");
            if (!NodeIds.IsValidName(id)) throw new BadRequestException(400, $"the node id '{id}' in \"{field}\" must be 1 to {AkkaRaft.Configuration.NodeSettings.IdLengthMax} letters, digits, '-', '_' or '.'");
            if (ids.Contains(id, StringComparer.Ordinal)) throw new BadRequestException(400, $"node '{id}' is listed twice in \"{field}\"");
            ids.Add(id);
        }

        return ids;
    }

    private async Task LeaveAsync(HttpContext context)
    {
        var id = context.Request.RouteValues["id"] as string ?? "";
        var status = await _node.StatusAsync(context.RequestAborted).ConfigureAwait(false);
        if (status.Role != RaftRole.Leader)
        {
            await RelayToLeaderAsync(context, status, []).ConfigureAwait(false);
            return;
        }

        var raftId = NodeIds.RaftIdOf(id);
        if (!status.Members.Any(m => m.NodeId == raftId) && !status.Voters.Contains(raftId))
        {
            await Problems.WriteAsync(context, 404, $"node '{id}' is not a member").ConfigureAwait(false);
            return;
        }

        var answer = await AskMembershipAsync(new RemoveVoter(raftId, _node.Settings.RequestTimeout), context.RequestAborted).ConfigureAwait(false);
        if (answer is RequestRejected rejected)
        {
            await Problems.WriteAsync(context, 409, rejected.Reason).ConfigureAwait(false);
            return;
        }

        if (answer is not MembershipChanged changed)
        {
            await AnswerPeerFailureAsync(context, answer).ConfigureAwait(false);
            return;
        }

        // The Raft configuration no longer has it: this (leading) node downs it in the Akka cluster.
        _node.CheckClusterMembership();
        if (_node.ServesKeyValue) await _node.AskAsync(new Write(KvCommands.Delete(MemberDirectory.KeyOf(id))), _node.Settings.RequestTimeout, context.RequestAborted).ConfigureAwait(false);
        await WriteJsonAsync(context, 200, new Dictionary<string, object> { ["removed"] = id, ["index"] = changed.Index }).ConfigureAwait(false);
    }

    private async Task TransferAsync(HttpContext context)
    {
        var body = await ReadBodyAsync(context).ConfigureAwait(false);
        var status = await _node.StatusAsync(context.RequestAborted).ConfigureAwait(false);
        if (status.Role != RaftRole.Leader)
        {
            await RelayToLeaderAsync(context, status, body).ConfigureAwait(false);
            return;
        }

        string? target = null;
        try
        {
            using var document = JsonDocument.Parse(body.Length == 0 ? "{}"u8.ToArray() : body);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String)
            {
                target = id.GetString();
            }
        }
        catch (JsonException e)
        {
            throw new BadRequestException(400, $"the body is not valid JSON: {e.Message}");
        }

        var targetId = target is null ? status.Voters.FirstOrDefault(v => v != _node.RaftId) : NodeIds.RaftIdOf(target);
        if (targetId == RaftIds.None || !status.Voters.Contains(targetId) || targetId == _node.RaftId)
        {
            throw new BadRequestException(400, target is null ? "there is no other voter to transfer leadership to" : $"'{target}' is not another voter of the cluster");
        }

        var answer = await _node.AskAsync(new TransferLeadership(targetId), _node.Settings.RequestTimeout, context.RequestAborted).ConfigureAwait(false);
        if (answer is RequestRejected rejected)
        {
            await Problems.WriteAsync(context, 409, rejected.Reason).ConfigureAwait(false);
            return;
        }

        if (answer is not PeerStatus)
        {
            await AnswerPeerFailureAsync(context, answer).ConfigureAwait(false);
            return;
        }

        await WriteJsonAsync(context, 202, new Dictionary<string, object> { ["transferringTo"] = NameOf(targetId) }).ConfigureAwait(false);
    }

    /// <summary>
    /// Asks the peer for a membership change. A leader refuses one while another is unfinished or before it committed
    /// an entry of its term (a moment after an election or a transfer); nothing was proposed then, so the request is
    /// asked again every <see cref="MembershipRetryInterval"/> until <c>akkaraft.http.request-timeout</c> has passed,
    /// and only then answered <see cref="ConfigurationChangeInProgress"/> (503 with Retry-After).
    /// </summary>
    private async Task<object> AskMembershipAsync(IRaftClientMessage request, CancellationToken cancellationToken)
    {
        var timeout = _node.Settings.RequestTimeout;
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            var answer = await _node.AskAsync(request, timeout + TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            if (answer is not ConfigurationChangeInProgress || DateTime.UtcNow + MembershipRetryInterval >= until) return answer;
            await Task.Delay(MembershipRetryInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Wait between two asks of a membership change the leader refused as in progress (a fixed, short poll).</summary>
    private static readonly TimeSpan MembershipRetryInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>Passes a membership request on to the leader over HTTP and relays its answer; 503 without a known leader.</summary>
    private async Task RelayToLeaderAsync(HttpContext context, PeerStatus status, byte[] body)
    {
        var leaderHttp = LeaderHttp(status.Leader);
        if (leaderHttp is null)
        {
            context.Response.Headers.RetryAfter = "1";
            await Problems.WriteAsync(context, 503, status.Leader == RaftIds.None
                ? "no leader yet: the cluster is electing one; retry shortly"
                : "this node does not know the leader's HTTP address yet; retry shortly").ConfigureAwait(false);
            return;
        }

        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), $"{ClientPorts.Url(Security, leaderHttp)}{context.Request.Path}{context.Request.QueryString}");
        // The caller's own credential goes along: the leader decides with the caller's role, not this node's.
        if (context.Request.Headers.Authorization.ToString() is { Length: > 0 } authorization) request.Headers.TryAddWithoutValidation("Authorization", authorization);
        if (body.Length > 0) request.Content = new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } };
        HttpResponseMessage response;
        try
        {
            response = await _proxy.SendAsync(request, context.RequestAborted).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            await Problems.WriteAsync(context, 503, $"the leader at {leaderHttp} could not be reached: {e.Message}").ConfigureAwait(false);
            return;
        }
        catch (TaskCanceledException)
        {
            await Problems.WriteAsync(context, 504, $"the leader at {leaderHttp} did not answer in time").ConfigureAwait(false);
            return;
        }

        using (response)
        {
            context.Response.StatusCode = (int)response.StatusCode;
            if (response.Content.Headers.ContentType is { } type) context.Response.ContentType = type.ToString();
            await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        }
    }

    internal static JoinRequest ParseJoin(byte[] body)
    {
        JoinRequest? request;
        try
        {
            request = JsonSerializer.Deserialize<JoinRequest>(body, new JsonSerializerOptions { PropertyNameCaseInsensitive = true });
        }
        catch (JsonException e)
        {
            throw new BadRequestException(400, $"the body is not a join request: {e.Message}; send {{\"id\": \"node02\", \"addr\": \"host:raft-port\", \"http\": \"host:http-port\"}}");
        }

        if (request is null || string.IsNullOrWhiteSpace(request.Id) || string.IsNullOrWhiteSpace(request.Addr))
        {
            throw new BadRequestException(400, "a join request needs \"id\" and \"addr\" (the joining node's Raft address)");
        }

        if (!NodeIds.IsValidName(request.Id))
        {
            throw new BadRequestException(400, $"the node id '{request.Id}' must be 1 to {AkkaRaft.Configuration.NodeSettings.IdLengthMax} letters, digits, '-', '_' or '.'");
        }

        if (!HostPort.TryParse(request.Addr, out var raft) || raft.Port == 0)
        {
            throw new BadRequestException(400, $"addr must be the joining node's Raft address host:port, got '{request.Addr}'");
        }

        HostPort? http = null;
        if (!string.IsNullOrWhiteSpace(request.Http))
        {
            http = HostPort.TryParse(request.Http, out var parsed) && parsed.Port != 0
                ? parsed
                : throw new BadRequestException(400, $"http must be the joining node's HTTP address host:port, got '{request.Http}'");
        }

        HostPort? grpc = null;
        if (!string.IsNullOrWhiteSpace(request.Grpc))
        {
            grpc = HostPort.TryParse(request.Grpc, out var parsed) && parsed.Port != 0
                ? parsed
                : throw new BadRequestException(400, $"grpc must be the joining node's gRPC address host:port, got '{request.Grpc}'");
        }

        return new JoinRequest(request.Id, raft.ToString(), http?.ToString(), request.Learner, grpc?.ToString());
    }

    // ------------------------------------------------------------------ status and metrics

    private string NameOf(ulong raftId) => _node.Directory.Find(raftId)?.Id ?? (raftId == RaftIds.None ? "" : raftId.ToString(CultureInfo.InvariantCulture));

    /// <summary>The query parameter with which a follower asks the leader's /status for its own view only (never passed on).</summary>
    private const string LocalProgressQuery = "progress=local";

    private async Task StatusAsync(HttpContext context)
    {
        var status = await _node.StatusAsync(context.RequestAborted).ConfigureAwait(false);
        // Only the leader tracks replication progress; a follower asks the leader's HTTP API for it, once.
        var localOnly = context.Request.Query["progress"].ToString() == "local";
        var (progress, progressFrom) = status.Role == RaftRole.Leader
            ? (LocalProgress(status), _node.Id)
            : localOnly ? (null, null) : await LeaderProgressAsync(status, context.RequestAborted).ConfigureAwait(false);
        // ?members=full: each member's own term, journal and last snapshot, asked of its /status (only it knows them).
        var details = context.Request.Query["members"].ToString() == "full"
            ? await MemberDetailsAsync(status, context.RequestAborted).ConfigureAwait(false)
            : null;
        // Akka.Cluster's view, matched to the Raft members by address: a member is reachable unless some member's
        // failure detector marks it unreachable, or it is not in the Akka cluster (yet, or any more).
        var cluster = _node.ClusterView();
        var members = status.Members.Select(m =>
        {
            var member = _node.Directory.Find(m.NodeId);
            var akka = member is null ? null : cluster.FirstOrDefault(c => c.Address == member.Raft);
            (ulong Match, ulong Next, ulong Lag)? known = progress is not null && progress.TryGetValue(m.NodeId, out var p) ? p : null;
            return new Dictionary<string, object?>
            {
                ["id"] = NameOf(m.NodeId),
                ["raftId"] = m.NodeId.ToString(CultureInfo.InvariantCulture),
                ["raftAddress"] = member?.Raft,
                ["httpAddress"] = member is { Http.Length: > 0 } ? member.Http : null,
                // The members share their TLS settings, so this node's scheme is theirs.
                ["httpUrl"] = member is { Http.Length: > 0 } ? ClientPorts.Url(Security, member.Http) : null,
                ["grpcAddress"] = member is { Grpc.Length: > 0 } ? member.Grpc : null,
                ["role"] = !m.IsVoter ? "learner" : m.NodeId == status.Leader ? "leader" : "follower",
                ["matchIndex"] = known?.Match,
                ["nextIndex"] = known?.Next,
                // Entries the member is behind the leader's last index (a learner is promoted within learner-promotion-lag).
                ["lag"] = known?.Lag,
                ["reachable"] = akka is { Reachable: true },
                ["clusterStatus"] = akka?.Status,
                ["own"] = details is null ? null : details.GetValueOrDefault(m.NodeId),
            };
        }).ToList();
        await WriteJsonAsync(context, 200, new Dictionary<string, object?>
        {
            ["id"] = _node.Id,
            ["role"] = RoleName(status.Role),
            ["term"] = status.Term,
            ["leader"] = status.Leader == RaftIds.None ? null : NameOf(status.Leader),
            ["commitIndex"] = status.CommitIndex,
            ["appliedIndex"] = status.AppliedIndex,
            ["firstIndex"] = status.FirstIndex,
            ["lastIndex"] = status.LastIndex,
            ["members"] = members,
            ["progressFrom"] = progressFrom,
            ["journalBytes"] = JournalBytes(),
            ["journal"] = JournalState(),
            ["lastSnapshot"] = new Dictionary<string, object>
            {
                ["index"] = status.FirstIndex > 0 ? status.FirstIndex - 1 : 0,
                ["saved"] = status.Counters.SnapshotsSaved,
                ["installed"] = status.Counters.SnapshotsInstalled,
            },
            ["raftAddress"] = _node.RaftAddress.ToString(),
            ["httpAddress"] = Address.ToString(),
            ["httpUrl"] = ClientPorts.Url(Security, Address.ToString()),
            ["grpcAddress"] = _node.GrpcAddress?.ToString(),
            ["cluster"] = cluster.Select(c => new Dictionary<string, object> { ["address"] = c.Address, ["status"] = c.Status, ["reachable"] = c.Reachable }).ToList(),
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// Each member's own view (term, role, applied index, journal bytes, last snapshot): this node's from its peer, the
    /// others' from their <c>/status?progress=local</c>, asked in parallel within <c>akkaraft.http.status-progress-timeout</c>;
    /// a member that does not answer in time is left out (the page shows it as unknown).
    /// </summary>
    private async Task<Dictionary<ulong, Dictionary<string, object?>>> MemberDetailsAsync(PeerStatus status, CancellationToken cancellationToken)
    {
        var details = new Dictionary<ulong, Dictionary<string, object?>>
        {
            [_node.RaftId] = OwnDetail(status.Term, RoleName(status.Role), status.AppliedIndex, JournalBytes(), status.FirstIndex > 0 ? status.FirstIndex - 1 : 0),
        };
        var asks = status.Members
            .Where(m => m.NodeId != _node.RaftId && _node.Directory.Find(m.NodeId) is { Http.Length: > 0 })
            .Select(async m =>
            {
                using var document = await MemberStatusAsync(_node.Directory.Find(m.NodeId)!.Http, cancellationToken).ConfigureAwait(false);
                if (document is null) return (m.NodeId, (Dictionary<string, object?>?)null);
                try
                {
                    var root = document.RootElement;
                    return (m.NodeId, OwnDetail(root.GetProperty("term").GetUInt64(), root.GetProperty("role").GetString(), root.GetProperty("appliedIndex").GetUInt64(),
                        root.GetProperty("journalBytes").ValueKind == JsonValueKind.Number ? root.GetProperty("journalBytes").GetInt64() : null,
                        root.GetProperty("lastSnapshot").GetProperty("index").GetUInt64()));
                }
                catch (Exception e) when (e is InvalidOperationException or FormatException or KeyNotFoundException)
                {
                    return (m.NodeId, null);
                }
            });
        foreach (var (id, detail) in await Task.WhenAll(asks).ConfigureAwait(false))
        {
            if (detail is not null) details[id] = detail;
        }

        return details;
    }

    private static Dictionary<string, object?> OwnDetail(ulong term, string? role, ulong applied, long? journalBytes, ulong snapshotIndex) => new()
    {
        ["term"] = term, ["role"] = role, ["appliedIndex"] = applied, ["journalBytes"] = journalBytes, ["lastSnapshotIndex"] = snapshotIndex,
    };

    private static Dictionary<ulong, (ulong Match, ulong Next, ulong Lag)> LocalProgress(PeerStatus status)
    {
        var progress = new Dictionary<ulong, (ulong, ulong, ulong)>();
        foreach (var member in status.Members)
        {
            if (member.Progress is { } p) progress[member.NodeId] = (p.Match, p.Next, status.LastIndex > p.Match ? status.LastIndex - p.Match : 0);
        }

        return progress;
    }

    /// <summary>
    /// The members' match and next indexes from the leader's own /status (asked with <c>?progress=local</c>, so it is
    /// never passed on), and the leader's name; (null, null) when there is no leader, its HTTP address is unknown, it
    /// does not answer within <c>akkaraft.http.status-progress-timeout</c>, or it no longer leads.
    /// </summary>
    private async Task<(Dictionary<ulong, (ulong Match, ulong Next, ulong Lag)>? Progress, string? From)> LeaderProgressAsync(PeerStatus status, CancellationToken cancellationToken)
    {
        if (LeaderHttp(status.Leader) is not { } leaderHttp) return (null, null);
        using var document = await MemberStatusAsync(leaderHttp, cancellationToken).ConfigureAwait(false);
        if (document is null) return (null, null);
        try
        {
            return ParseLeaderProgress(document.RootElement);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or KeyNotFoundException)
        {
            return (null, null);
        }
    }

    /// <summary>
    /// A member's own <c>/status?progress=local</c> (never passed on, so never a loop), with this node's token, within
    /// <c>akkaraft.http.status-progress-timeout</c>; null when it does not answer 200 with JSON in time.
    /// </summary>
    private async Task<JsonDocument?> MemberStatusAsync(string memberHttp, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_node.Settings.StatusProgressTimeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{ClientPorts.Url(Security, memberHttp)}/status?{LocalProgressQuery}");
            ClientPorts.AddNodeToken(request, Security);
            using var response = await _proxy.SendAsync(request, timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) return null;
            return JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false));
        }
        catch (Exception e) when (e is HttpRequestException or JsonException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }
    }

    /// <summary>Reads the members' progress out of a leader's /status body; (null, null) unless it answered as the leader.</summary>
    internal static (Dictionary<ulong, (ulong Match, ulong Next, ulong Lag)>? Progress, string? From) ParseLeaderProgress(JsonElement root)
    {
        var id = root.GetProperty("id").GetString();
        if (id is null || root.GetProperty("role").GetString() != "leader" || root.GetProperty("progressFrom").GetString() != id) return (null, null);
        var progress = new Dictionary<ulong, (ulong, ulong, ulong)>();
        var last = root.GetProperty("lastIndex").GetUInt64();
        foreach (var member in root.GetProperty("members").EnumerateArray())
        {
            if (member.GetProperty("matchIndex").ValueKind != JsonValueKind.Number) continue;
            var raftId = ulong.Parse(member.GetProperty("raftId").GetString() ?? "", NumberStyles.None, CultureInfo.InvariantCulture);
            var match = member.GetProperty("matchIndex").GetUInt64();
            progress[raftId] = (match, member.GetProperty("nextIndex").GetUInt64(), last > match ? last - match : 0);
        }

        return (progress, id);
    }

    /// <summary>Whether the journal takes writes and, when not, the error of its last write.</summary>
    private Dictionary<string, object?> JournalState() => _node.JournalHealth.Failure is { } failure
        ? new() { ["writable"] = false, ["error"] = failure.Reason, ["outOfSpace"] = failure.OutOfSpace, ["since"] = failure.At.ToString("O", CultureInfo.InvariantCulture) }
        : new() { ["writable"] = true };

    private long JournalBytes()
    {
        if (_node.JournalFile is not { } file) return 0;
        long total = 0;
        foreach (var path in new[] { file, file + "-wal" })
        {
            if (File.Exists(path)) total += new FileInfo(path).Length;
        }

        return total;
    }

    /// <summary>The role as /status and the CLI spell it.</summary>
    public static string RoleName(RaftRole role) => role switch
    {
        RaftRole.Leader => "leader",
        RaftRole.Candidate => "candidate",
        RaftRole.PreCandidate => "pre-candidate",
        _ => "follower",
    };

    /// <summary>
    /// Prometheus text. The node's own counters are always there; the peer's figures only when the peer answers its
    /// status in time (it may be restarting from its journal, as after a failed journal write), and
    /// <c>akkaraft_peer_up</c> says which.
    /// </summary>
    private async Task MetricsAsync(HttpContext context)
    {
        PeerStatus? status;
        try
        {
            status = await _node.StatusAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            status = null;
        }

        var text = new StringBuilder();
        Gauge(text, "akkaraft_peer_up", "1 when the Raft peer answered its status for this scrape, 0 while it does not (restarting from its journal).", status is null ? 0 : 1);
        if (status is not null) WritePeerMetrics(text, status);
        Counter(text, "akkaraft_journal_write_failures_total", "Journal writes that failed (a full disk, a failing database); each restarts the peer.", _node.JournalHealth.Failures);
        Gauge(text, "akkaraft_journal_writable", "1 while the journal takes writes, 0 after a write failed until one succeeds.", _node.JournalHealth.Failure is null ? 1 : 0);
        Counter(text, "akkaraft_dead_letters_total", "Messages that reached no actor.", _node.Events.DeadLetters);
        Counter(text, "akkaraft_remote_associations_total", "Akka.Remote associations made with other members (either way).", _node.Events.Associations);
        Counter(text, "akkaraft_remote_association_errors_total", "Akka.Remote associations with other members that failed.", _node.Events.AssociationErrors);
        Metrics.WriteTo(text);
        WriteLimitMetrics(text);
        if (status is not null) ServerMetrics.WriteCommitLatency(text, status.CommitLatency);
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await context.Response.WriteAsync(text.ToString()).ConfigureAwait(false);
    }

    private static void WritePeerMetrics(StringBuilder text, PeerStatus status)
    {
        Gauge(text, "akkaraft_term", "The current Raft term.", status.Term);
        text.Append("# HELP akkaraft_role This node's role (1 for the role it has).\n# TYPE akkaraft_role gauge\n");
        foreach (var role in new[] { RaftRole.Follower, RaftRole.PreCandidate, RaftRole.Candidate, RaftRole.Leader })
        {
            text.Append("akkaraft_role{role=\"").Append(RoleName(role)).Append("\"} ").Append(role == status.Role ? 1 : 0).Append('\n');
        }

        Gauge(text, "akkaraft_is_leader", "1 when this node leads.", status.Role == RaftRole.Leader ? 1 : 0);
        Gauge(text, "akkaraft_commit_index", "Highest log index known committed.", status.CommitIndex);
        Gauge(text, "akkaraft_applied_index", "Highest log index handed to the state machine.", status.AppliedIndex);
        Gauge(text, "akkaraft_last_index", "Last index in the log.", status.LastIndex);
        Gauge(text, "akkaraft_members", "Voters in the configuration.", status.Voters.Count);
        Counter(text, "akkaraft_fsyncs_total", "Journal batches written (one atomic write and one fsync each).", status.Counters.JournalBatches);
        Counter(text, "akkaraft_entries_persisted_total", "Log entries journaled.", status.Counters.EntriesPersisted);
        Counter(text, "akkaraft_entries_applied_total", "Committed entries applied.", status.Counters.EntriesApplied);
        Counter(text, "akkaraft_snapshots_total", "Snapshots saved (local compactions and installs).", status.Counters.SnapshotsSaved);
    }

    private static void Gauge(StringBuilder text, string name, string help, double value) => Sample(text, name, help, "gauge", value);

    private static void Counter(StringBuilder text, string name, string help, double value) => Sample(text, name, help, "counter", value);

    private static void Sample(StringBuilder text, string name, string help, string type, double value) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append("\n# TYPE ").Append(name).Append(' ').Append(type).Append('\n')
            .Append(name).Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
}
