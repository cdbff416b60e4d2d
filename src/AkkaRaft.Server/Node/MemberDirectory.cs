using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AkkaRaft.Server.Node;

/// <summary>One member of the cluster as the server knows it: its name, where its Raft peer, HTTP API and gRPC API listen.</summary>
/// <param name="Id">The node id (name).</param>
/// <param name="Raft">host:port of its Raft peer.</param>
/// <param name="Http">host:port of its HTTP API; empty while unknown.</param>
/// <param name="Grpc">host:port of its gRPC API; null while unknown or off, and then left out of the stored record, which
/// stays as small as before gRPC (it is a value under akkaraft.kv.max-value-bytes).</param>
public sealed record Member(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("raft")] string Raft,
    [property: JsonPropertyName("http")] string Http,
    [property: JsonPropertyName("grpc"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Grpc = null)
{
    /// <summary>The Raft id derived from <see cref="Id"/>.</summary>
    [JsonIgnore]
    public ulong RaftId => NodeIds.RaftIdOf(Id);

    /// <summary>The JSON stored in the replicated key/value state.</summary>
    public byte[] ToJsonBytes() => JsonSerializer.SerializeToUtf8Bytes(this);

    /// <summary>Parses a stored member record; null when it is not one.</summary>
    public static Member? TryParse(ReadOnlySpan<byte> json)
    {
        try
        {
            var member = JsonSerializer.Deserialize<Member>(json);
            return member is { Id.Length: > 0, Raft.Length: > 0 } ? member with { Http = member.Http ?? "", Grpc = string.IsNullOrEmpty(member.Grpc) ? null : member.Grpc } : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>
/// Who is who in the cluster: Raft id → member (name, Raft and HTTP addresses). The records are replicated through
/// the key/value store under <see cref="KeyPrefix"/> (a joining node's record is written before it is added as a
/// voter), so every member, and a restarted one from its own journal, learns them; the server re-reads them
/// periodically. Thread-safe.
/// </summary>
public sealed class MemberDirectory
{
    /// <summary>The key prefix of member records in the key/value store; hidden from listings that do not ask for it.</summary>
    public const string KeyPrefix = InternalPrefix + "members/";

    /// <summary>
    /// The key prefix of every record the cluster keeps for itself: listings leave it out unless they ask for it, and
    /// clients may read it but never write it (<see cref="IsInternal"/>, <see cref="SparedByDeleteTree"/>).
    /// </summary>
    public const string InternalPrefix = "_akkaraft/";

    /// <summary>Whether <paramref name="key"/> (or a DeleteTree prefix) lies under <see cref="InternalPrefix"/>, where no client writes.</summary>
    public static bool IsInternal(string key) => key.StartsWith(InternalPrefix, StringComparison.Ordinal);

    /// <summary>
    /// What a client's DeleteTree of <paramref name="prefix"/> must spare: <see cref="InternalPrefix"/> when the tree
    /// covers it (the empty prefix, "_", "_akka", ...), else nothing (""). A tree under it is refused (<see cref="IsInternal"/>).
    /// </summary>
    public static string SparedByDeleteTree(string prefix) =>
        prefix.Length < InternalPrefix.Length && InternalPrefix.StartsWith(prefix, StringComparison.Ordinal) ? InternalPrefix : "";

    /// <summary>What a client is told when it tries to write <paramref name="key"/> under <see cref="InternalPrefix"/>.</summary>
    public static string InternalWriteRefusal(string key) =>
        $"'{ClientText.Shown(key)}' is under {InternalPrefix}, where the cluster keeps its member records: clients may read them but not write them; nothing was written";

    private readonly ConcurrentDictionary<ulong, Member> _members = new();

    /// <summary>Raised after a member was added or its addresses changed.</summary>
    public event Action<Member>? Changed;

    /// <summary>Every known member.</summary>
    public IReadOnlyCollection<Member> Members => _members.Values.OrderBy(m => m.Id, StringComparer.Ordinal).ToList();

    /// <summary>The member with Raft id <paramref name="raftId"/>, or null.</summary>
    public Member? Find(ulong raftId) => _members.TryGetValue(raftId, out var member) ? member : null;

    /// <summary>The member named <paramref name="id"/>, or null.</summary>
    public Member? Find(string id) => Find(NodeIds.RaftIdOf(id));

    /// <summary>Adds or updates <paramref name="member"/>; an empty HTTP or gRPC address never overwrites a known one.</summary>
    public void Upsert(Member member)
    {
        ArgumentNullException.ThrowIfNull(member);
        var changed = false;
        _members.AddOrUpdate(
            member.RaftId,
            _ =>
            {
                changed = true;
                return member;
            },
            (_, old) =>
            {
                var merged = member with
                {
                    Http = member.Http.Length == 0 ? old.Http : member.Http,
                    Grpc = string.IsNullOrEmpty(member.Grpc) ? old.Grpc : member.Grpc,
                };
                changed = merged != old;
                return merged;
            });
        if (changed) Changed?.Invoke(Find(member.RaftId)!);
    }

    /// <summary>The key of <paramref name="id"/>'s record in the key/value store.</summary>
    public static string KeyOf(string id) => KeyPrefix + id;
}
