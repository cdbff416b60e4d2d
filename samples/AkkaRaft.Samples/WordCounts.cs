using System.Text;
using AkkaRaft.Raft.StateMachines;

namespace AkkaRaft.Samples;

/// <summary>
/// The snapshot format of the word trackers' state, both the byte-command one and the typed one: a count, then each
/// word with its count in ordinal order (a sorted dictionary, so two trackers in the same state write the same bytes).
/// </summary>
internal static class WordCounts
{
    public static void Write(SortedDictionary<string, long> counts, Stream output)
    {
        using var writer = new BinaryWriter(output, Encoding.UTF8, leaveOpen: true);
        writer.Write(counts.Count);
        foreach (var (word, count) in counts)
        {
            writer.Write(word);
            writer.Write(count);
        }
    }

    /// <exception cref="InvalidSnapshotException">The snapshot ends early.</exception>
    public static void Read(SortedDictionary<string, long> counts, Stream input, string whose)
    {
        counts.Clear();
        try
        {
            using var reader = new BinaryReader(input, Encoding.UTF8, leaveOpen: true);
            var entries = reader.ReadInt32();
            for (var i = 0; i < entries; i++) counts[reader.ReadString()] = reader.ReadInt64();
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidSnapshotException($"the {whose} snapshot ends early", e);
        }
    }
}
