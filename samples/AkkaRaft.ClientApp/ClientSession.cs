using System.Diagnostics;
using System.Globalization;
using System.Text;
using Akka.Actor;
using AkkaRaft.Client;
using AkkaRaft.Client.Kv;
using AkkaRaft.Client.Sessions;

namespace AkkaRaft.ClientApp;

/// <summary>
/// One run of the app: learn the members, write the key with <see cref="NotLeaderPolicy.Reject"/> (following a
/// <see cref="NotLeader"/> answer to the leader it names), then read the key at the stale, default and consistent
/// levels; then opens a client session, writes an ephemeral key in it, closes it and sees the key gone. Every step retries what is worth retrying (no leader yet, overloaded, no answer in time) until
/// <see cref="Patience"/> has passed; every outcome is one line of output.
/// </summary>
internal sealed class ClientSession(ActorSystem system, Endpoint entry, ClientOptions options, TextWriter output)
{
    /// <summary>How long the whole run may take before the app gives up.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(45);

    /// <summary>How long one request waits for its answer (a member's own request timeout is shorter).</summary>
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The time to live of the session the app opens.</summary>
    private static readonly TimeSpan SessionTtl = TimeSpan.FromSeconds(10);

    /// <summary>The wait before asking again after an answer that says "not now".</summary>
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(200);

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private Dictionary<ulong, ClusterMember> _members = new();

    public async Task RunAsync()
    {
        await output.WriteLineAsync($"mode: {options.Mode switch { ClientMode.Selection => "selection", _ => "cluster-client" }} via {entry.Description}");
        await RefreshMembersAsync();
        var status = await AskUntilAsync<PeerStatus>(entry, GetPeerStatus.Instance, "the status of the member answering");
        await output.WriteLineAsync($"status: {NameOf(status.NodeId)} is {status.Role.ToString().ToLowerInvariant()} in term {status.Term}; leader {NameOf(status.Leader)}");

        var written = await WriteAsync();
        foreach (var level in new[] { ReadLevel.Stale, ReadLevel.Default, ReadLevel.Consistent })
        {
            await ReadAsync(level, written);
        }

        await SessionAsync();
        await output.WriteLineAsync("done");
    }

    /// <summary>Puts the key, refusing forwarding: a member that does not lead answers NotLeader, and the write goes to the leader it names.</summary>
    private async Task<WriteResult> WriteAsync()
    {
        var write = new Write(KvCommands.Put(options.Key, options.Value), OnNotLeader: NotLeaderPolicy.Reject);
        var target = entry;
        var last = "nothing yet";
        while (_clock.Elapsed < Patience)
        {
            object answer;
            try
            {
                answer = await target.AskAsync(write, AskTimeout);
            }
            catch (AskTimeoutException)
            {
                // Ambiguous: it may still commit. A Put of the same value is idempotent, so asking again is safe.
                last = $"no answer from {target.Description} in {AskTimeout.TotalSeconds}s";
                continue;
            }

            switch (answer)
            {
                case WriteResult result:
                    var kv = KvResult.Decode(result.Response);
                    if (!kv.IsOk) throw new ClientGaveUpException($"the write was applied but refused by the store: {kv.Status} {kv.Message}");
                    await output.WriteLineAsync($"write: {options.Key} committed at index {result.Index} by leader {NameOf(result.Leader)}");
                    return result;
                case NotLeader { LeaderHint: 0 } notLeader:
                    last = $"not-leader without a hint ({notLeader.Reason})";
                    await Task.Delay(RetryDelay);
                    break;
                case NotLeader notLeader:
                    var leader = await MemberAsync(notLeader.LeaderHint);
                    if (leader is null)
                    {
                        last = $"not-leader naming {notLeader.LeaderHint}, a member not known yet";
                        await Task.Delay(RetryDelay);
                        break;
                    }

                    var atLeader = new SelectionEndpoint(system, leader.RaftAddress, options.SystemName);
                    await output.WriteLineAsync($"write: not-leader from {target.Description} ({notLeader.Reason}); the leader is {leader.Name}, retrying at {atLeader.Description}");
                    target = atLeader;
                    break;
                case Overloaded or RequestTimedOut:
                    last = answer.ToString() ?? "";
                    await Task.Delay(RetryDelay);
                    break;
                default:
                    throw new ClientGaveUpException($"the write was answered {answer}");
            }
        }

        throw new ClientGaveUpException($"no write committed in {Patience.TotalSeconds}s; last: {last}");
    }

    /// <summary>
    /// Gets the key at <paramref name="level"/> through the entry (a follower forwards default reads to the leader and
    /// answers consistent reads itself, with a read index from the leader). A stale read is served by whichever member answers, which may not have applied the write yet:
    /// it is asked again until it has.
    /// </summary>
    private async Task ReadAsync(ReadLevel level, WriteResult written)
    {
        var name = level.ToString().ToLowerInvariant();
        var query = new Query(KvQueries.Get(options.Key), level);
        var last = "nothing yet";
        while (_clock.Elapsed < Patience)
        {
            object answer;
            try
            {
                answer = await entry.AskAsync(query, AskTimeout);
            }
            catch (AskTimeoutException)
            {
                last = $"no answer in {AskTimeout.TotalSeconds}s";
                continue;
            }

            if (answer is QueryResponse response)
            {
                var kv = KvResult.Decode(response.Response);
                if (response.AppliedIndex < written.Index)
                {
                    // Only a stale read may come from a member behind the write; a default or consistent one may not.
                    if (level != ReadLevel.Stale) throw new ClientGaveUpException($"a {name} read answered at applied index {response.AppliedIndex}, before the write at {written.Index}");
                    last = $"a member at applied index {response.AppliedIndex}, before the write at {written.Index}";
                    await Task.Delay(RetryDelay);
                    continue;
                }

                if (kv.Pair is not { } pair) throw new ClientGaveUpException($"a {name} read at applied index {response.AppliedIndex} did not find {options.Key}: {kv.Status}");
                var value = Encoding.UTF8.GetString(pair.Value.Span);
                if (value != options.Value) throw new ClientGaveUpException($"a {name} read found {options.Key} = '{value}', not '{options.Value}'");
                await output.WriteLineAsync(
                    $"read {name}: {options.Key} = {value} (served by {response.ServedBy}, applied index {response.AppliedIndex.ToString(CultureInfo.InvariantCulture)})");
                return;
            }

            if (answer is NotLeader or Overloaded or RequestTimedOut)
            {
                last = answer.ToString() ?? "";
                await Task.Delay(RetryDelay);
                continue;
            }

            throw new ClientGaveUpException($"the {name} read was answered {answer}");
        }

        throw new ClientGaveUpException($"no {name} read answered in {Patience.TotalSeconds}s; last: {last}");
    }

    /// <summary>
    /// A client session (<see cref="RaftSession"/>, the same way in as the rest): open it, write an ephemeral key in
    /// it exactly once, read it back as the session's, close the session, and see the key gone with it.
    /// </summary>
    private async Task SessionAsync()
    {
        var key = options.Key + "-ephemeral";
        var events = Inbox.Create(system);
        var session = system.ActorOf(RaftSession.Props(new RaftSessionSettings(entry.Contacts, SessionTtl) { Subscriber = events.Receiver }), "session");
        var opened = await events.ReceiveAsync(Patience - _clock.Elapsed) switch
        {
            RaftSessionOpened o => o,
            var other => throw new ClientGaveUpException($"the session did not open: {other}"),
        };
        await output.WriteLineAsync($"session: {opened.SessionId} opened (ttl {SessionTtl.TotalSeconds:0}s)");

        var write = await session.Ask<object>(SessionWrite.Put(key, options.Value, ephemeral: true), Patience - _clock.Elapsed);
        if (write is not WriteResult written || !KvResult.Decode(written.Response).IsOk) throw new ClientGaveUpException($"the session's write was answered {write}");
        await output.WriteLineAsync($"session: {key} written as ephemeral at index {written.Index}");

        var read = await session.Ask<object>(new SessionQuery(KvQueries.Get(key), ReadLevel.Consistent), Patience - _clock.Elapsed);
        if (read is not QueryResponse { } response || KvResult.Decode(response.Response).Pair is not { } pair || pair.SessionId != opened.SessionId)
            throw new ClientGaveUpException($"the session's read of {key} was answered {read}");
        await output.WriteLineAsync($"session: {key} belongs to session {pair.SessionId}");

        var closed = await session.Ask<object>(CloseRaftSession.Instance, Patience - _clock.Elapsed);
        if (closed is not SessionClosed) throw new ClientGaveUpException($"closing the session was answered {closed}");
        var gone = await AskUntilAsync<QueryResponse>(entry, new Query(KvQueries.Get(key), ReadLevel.Consistent), $"a read of {key} after the close");
        var status = KvResult.Decode(gone.Response).Status;
        if (status != KvStatus.KeyNotFound) throw new ClientGaveUpException($"{key} outlived its session's close: {status}");
        await output.WriteLineAsync($"session: closed; {key} is gone with it");
    }

    /// <summary>The member with Raft id <paramref name="id"/>, asking the entry for the members again if it is not known.</summary>
    private async Task<ClusterMember?> MemberAsync(ulong id)
    {
        if (!_members.ContainsKey(id)) await RefreshMembersAsync();
        return _members.GetValueOrDefault(id);
    }

    private async Task RefreshMembersAsync()
    {
        var members = await AskUntilAsync<ClusterMembers>(entry, GetClusterMembers.Instance, "the members");
        _members = members.Members.ToDictionary(m => m.NodeId);
        await output.WriteLineAsync($"members: {string.Join(", ", members.Members.Select(m => $"{m.Name}={m.RaftAddress}"))}");
    }

    private string NameOf(ulong id) => id == 0 ? "unknown" : _members.TryGetValue(id, out var member) ? member.Name : id.ToString(CultureInfo.InvariantCulture);

    private async Task<T> AskUntilAsync<T>(Endpoint target, object message, string what)
        where T : class
    {
        var last = "nothing yet";
        while (_clock.Elapsed < Patience)
        {
            try
            {
                var answer = await target.AskAsync(message, AskTimeout);
                if (answer is T wanted) return wanted;
                last = answer.ToString() ?? "";
            }
            catch (AskTimeoutException)
            {
                last = $"no answer in {AskTimeout.TotalSeconds}s";
            }

            await Task.Delay(RetryDelay);
        }

        throw new ClientGaveUpException($"{what} did not come from {target.Description} in {Patience.TotalSeconds}s; last: {last}");
    }
}
