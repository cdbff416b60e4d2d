using System.Buffers.Binary;
using System.Text;
using AkkaRaft.Client;
using AkkaRaft.Raft.StateMachines;
using AkkaRaft.Server.Node;

namespace AkkaRaft.Samples;

/// <summary>
/// Bring your own state machine (as tinyraft's word tracker): every command is a line of text, the state counts the
/// words seen, and a query asks how often a word was seen. Deterministic: only the state and the command decide.
/// </summary>
public sealed class WordTracker : IStateMachine
{
    private readonly SortedDictionary<string, long> _counts = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public ApplyResult Apply(in ApplyContext context, ReadOnlyMemory<byte> command)
    {
        var words = Encoding.UTF8.GetString(command.Span).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var word in words)
        {
            _counts[word] = _counts.GetValueOrDefault(word) + 1;
        }

        return new ApplyResult(Count(words.Length), words.Distinct(StringComparer.Ordinal).ToArray());
    }

    /// <inheritdoc />
    public QueryResult Query(ReadOnlyMemory<byte> query)
    {
        var word = Encoding.UTF8.GetString(query.Span);
        return new QueryResult(Count(_counts.GetValueOrDefault(word)), [word]);
    }

    /// <inheritdoc />
    public void WriteSnapshot(Stream output) => WordCounts.Write(_counts, output);

    /// <inheritdoc />
    public void RestoreSnapshot(Stream input) => WordCounts.Read(_counts, input, "word tracker");

    /// <inheritdoc />
    public ApplyResult SessionExpired(in ApplyContext context, long sessionId) => ApplyResult.Unchanged(ReadOnlyMemory<byte>.Empty);

    /// <summary>A count as 8 big-endian bytes.</summary>
    public static byte[] Count(long value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, value);
        return bytes;
    }

    /// <summary>Reads a count answer.</summary>
    public static long ReadCount(ReadOnlySpan<byte> bytes) => BinaryPrimitives.ReadInt64BigEndian(bytes);
}

/// <summary>Runs a node whose replicated state is a <see cref="WordTracker"/>.</summary>
public static class WordTrackerSample
{
    /// <summary>Proposes two lines and asks how often "raft" was seen; returns that count.</summary>
    public static async Task<long> RunAsync(string dataDir, TextWriter output)
    {
        await using var node = await AkkaRaftNode.StartAsync(SampleConfig.For("words", dataDir), () => new WordTracker());
        await SampleConfig.WaitForLeaderAsync(node, TimeSpan.FromSeconds(30));
        foreach (var line in new[] { "raft is a consensus algorithm", "bring your own raft state machine" })
        {
            await node.AskAsync(new Write(Encoding.UTF8.GetBytes(line)), TimeSpan.FromSeconds(10));
        }

        var answer = (QueryResponse)await node.AskAsync(new Query(Encoding.UTF8.GetBytes("raft"), ReadLevel.Consistent), TimeSpan.FromSeconds(10));
        var count = WordTracker.ReadCount(answer.Response.Span);
        await output.WriteLineAsync($"'raft' was seen {count} times");
        return count;
    }
}
