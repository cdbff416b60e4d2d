using System.Text;
using AkkaRaft.Client.Kv;
using AkkaRaft.Raft.StateMachines;

namespace AkkaRaft.Kv.Tests;

/// <summary>A store fed as a peer would feed it: commands at index 1, 2, 3, ..., decoded answers.</summary>
internal sealed class KvHarness
{
    public KvHarness(KvSettings? settings = null)
    {
        Machine = new KvStateMachine(settings ?? Small);
    }

    /// <summary>Small limits, so the limit tests need no large buffers.</summary>
    public static KvSettings Small { get; } = new(MaxKeyBytes: 16, MaxValueBytes: 32, MaxListResults: 5, MaxListBytes: 1024, MaxBatchKeys: 4);

    public KvStateMachine Machine { get; }

    /// <summary>The index the next write gets.</summary>
    public ulong NextIndex { get; private set; } = 1;

    public ApplyResult LastApply { get; private set; } = ApplyResult.Unchanged(ReadOnlyMemory<byte>.Empty);

    public QueryResult LastQuery { get; private set; } = new(ReadOnlyMemory<byte>.Empty, []);

    public KvResult Write(byte[] command, long sessionId = ApplyContext.NoSession)
    {
        LastApply = Machine.Apply(new ApplyContext(NextIndex++, 1, sessionId), command);
        return KvResult.Decode(LastApply.Response.Span);
    }

    public KvResult Expire(long sessionId)
    {
        LastApply = Machine.SessionExpired(new ApplyContext(NextIndex++, 1, ApplyContext.NoSession), sessionId);
        return KvResult.Decode(LastApply.Response.Span);
    }

    public KvResult Read(byte[] query)
    {
        LastQuery = Machine.Query(query);
        return KvResult.Decode(LastQuery.Response.Span);
    }

    public KvResult Put(string key, string value, long sessionId = ApplyContext.NoSession, bool ephemeral = false) =>
        Write(KvCommands.Put(key, value, ephemeral), sessionId);

    public KvResult Get(string key) => Read(KvQueries.Get(key));

    public string? ValueOf(string key)
    {
        var result = Get(key);
        return result.Status == KvStatus.Ok ? Encoding.UTF8.GetString(result.Pair!.Value.Span) : null;
    }

    /// <summary>Every key with the prefix, paging through List as a client would.</summary>
    public IReadOnlyList<string> Keys(string prefix = "")
    {
        var keys = new List<string>();
        string? after = null;
        while (true)
        {
            var page = Read(KvQueries.List(prefix, after));
            Assert.Equal(KvStatus.Ok, page.Status);
            keys.AddRange(page.Pairs.Select(p => p.Key));
            if (!page.Truncated)
            {
                return keys;
            }

            after = keys[^1];
        }
    }

    public byte[] Snapshot() => StateMachineConformance.Snapshot(Machine);
}
