using System.Text;
using Akka.Actor;
using Akka.Configuration;
using AkkaRaft.Client;
using AkkaRaft.Raft.StateMachines;
using AkkaRaft.Server.Node;

namespace AkkaRaft.Samples;

/// <summary>A command of the <see cref="TypedWordTracker"/>: plain C# records that another Akka app sends as they are.</summary>
public interface IWordCommand;

/// <summary>Counts every word of <paramref name="Line"/> once more.</summary>
public sealed record AddWords(string Line) : IWordCommand;

/// <summary>Forgets every count of <paramref name="Word"/>.</summary>
public sealed record ForgetWord(string Word) : IWordCommand;

/// <summary>A command the sample's allowed-types leaves out on purpose: the leader refuses it and never proposes it.</summary>
public sealed record ShoutWords(string Line) : IWordCommand;

/// <summary>The query: how often was <paramref name="Word"/> seen?</summary>
public sealed record CountOf(string Word);

/// <summary>The answer to <see cref="AddWords"/> and <see cref="ForgetWord"/>: how many words it counted or forgot.</summary>
public sealed record WordsChanged(int Words);

/// <summary>The answer to <see cref="CountOf"/>.</summary>
public sealed record WordCount(string Word, long Count);

/// <summary>
/// <see cref="WordTracker"/> with typed commands: the same word counter, but its commands, query and answers are the
/// records above instead of bytes, and another Akka app sends them with <see cref="TypedWrite"/> and
/// <see cref="TypedQuery"/>. Deterministic: only the state and the command decide.
/// </summary>
public sealed class TypedWordTracker(ActorSystem system) : TypedStateMachine<IWordCommand, CountOf>(system)
{
    /// <summary>
    /// What a node hosting it sets (the README shows the same): the types Hyperion may read on the node, that is the
    /// commands and the query. <see cref="ShoutWords"/> is left out to show a refusal.
    /// </summary>
    public const string NodeAllowedTypes = """["AkkaRaft.Samples.AddWords, AkkaRaft.Samples", "AkkaRaft.Samples.ForgetWord, AkkaRaft.Samples", "AkkaRaft.Samples.CountOf, AkkaRaft.Samples"]""";

    /// <summary>What the client app sets: the answers are the only types it reads.</summary>
    public const string ClientAllowedTypes = """["AkkaRaft.Samples.WordsChanged, AkkaRaft.Samples", "AkkaRaft.Samples.WordCount, AkkaRaft.Samples"]""";

    private readonly SortedDictionary<string, long> _counts = new(StringComparer.Ordinal);

    /// <inheritdoc />
    protected override object Apply(in ApplyContext context, IWordCommand command)
    {
        switch (command)
        {
            case AddWords add:
                var words = Words(add.Line);
                foreach (var word in words) _counts[word] = _counts.GetValueOrDefault(word) + 1;
                return new WordsChanged(words.Length);
            case ForgetWord forget:
                return new WordsChanged(_counts.Remove(forget.Word, out var count) ? (int)Math.Min(count, int.MaxValue) : 0);
            case ShoutWords shout:
                // Never reached while the allowed types leave ShoutWords out; answered like AddWords otherwise.
                var shouted = Words(shout.Line.ToUpperInvariant());
                foreach (var word in shouted) _counts[word] = _counts.GetValueOrDefault(word) + 1;
                return new WordsChanged(shouted.Length);
            default:
                // A command of a type this version does not know changes nothing, and says so.
                return new WordsChanged(0);
        }
    }

    /// <inheritdoc />
    protected override object Query(CountOf query) => new WordCount(query.Word, _counts.GetValueOrDefault(query.Word));

    /// <inheritdoc />
    public override void WriteSnapshot(Stream output) => WordCounts.Write(_counts, output);

    /// <inheritdoc />
    public override void RestoreSnapshot(Stream input) => WordCounts.Read(_counts, input, "typed word tracker");

    private static string[] Words(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>
/// Runs a node whose replicated state is a <see cref="TypedWordTracker"/>, and an Akka app of its own (its own actor
/// system, <see cref="ClientConfig.Default"/> and nothing of the server) that sends it typed commands over remoting.
/// </summary>
public static class TypedWordTrackerSample
{
    /// <summary>
    /// Adds two lines, asks how often "raft" was seen at a consistent read, and sends a <see cref="ShoutWords"/>, which
    /// the node refuses; returns the count and the refusal.
    /// </summary>
    public static async Task<(long RaftCount, string Refusal)> RunAsync(string dataDir, TextWriter output)
    {
        var config = SampleConfig.For("typed-words", dataDir, extra: new Dictionary<string, string>
        {
            ["akka.actor.serialization-settings.hyperion.allowed-types"] = TypedWordTracker.NodeAllowedTypes,
        });
        await using var node = await AkkaRaftNode.StartAsync(config, system => new TypedWordTracker(system));
        await SampleConfig.WaitForLeaderAsync(node, TimeSpan.FromSeconds(30));

        using var app = ActorSystem.Create("word-app", ConfigurationFactory.ParseString($$"""
                akka.loglevel = WARNING
                akka.actor.provider = remote
                akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
                akka.actor.serialization-settings.hyperion.allowed-types = {{TypedWordTracker.ClientAllowedTypes}}
                """).WithFallback(ClientConfig.Default));
        try
        {
            var inbox = app.ActorSelection(RaftPaths.Inbox(node.RaftAddress.ToString()));
            foreach (var line in new[] { "raft is a consensus algorithm", "bring your own raft state machine" })
            {
                var written = await inbox.Ask(new TypedWrite(new AddWords(line)), TimeSpan.FromSeconds(10));
                if (written is not TypedWriteResult { Response: WordsChanged added } result) throw new InvalidOperationException($"the write was not applied: {written}");
                await output.WriteLineAsync($"'{line}': {added.Words} words counted at index {result.Index}");
            }

            var read = await inbox.Ask(new TypedQuery(new CountOf("raft"), ReadLevel.Consistent), TimeSpan.FromSeconds(10));
            if (read is not TypedQueryResponse { Response: WordCount count }) throw new InvalidOperationException($"the read failed: {read}");
            await output.WriteLineAsync($"'{count.Word}' was seen {count.Count} times");

            var shouted = await inbox.Ask(new TypedWrite(new ShoutWords("raft")), TimeSpan.FromSeconds(10));
            if (shouted is not RequestRejected refused) throw new InvalidOperationException($"a command outside the allowed types was answered {shouted}");
            await output.WriteLineAsync($"ShoutWords: {refused.Reason}");
            return (count.Count, refused.Reason);
        }
        finally
        {
            await app.Terminate();
        }
    }
}
