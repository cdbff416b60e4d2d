using AkkaRaft.Raft.Core;
using AkkaRaft.Raft.Protocol;
using Google.Protobuf;

namespace AkkaRaft.Raft.Protos;

/// <summary>
/// Maps the core's log entry and configuration to their protobuf form (<c>raft_types.proto</c>) and back: one
/// mapping for the journal (RaftJournal) and the wire (RaftWireSerializer) alike.
/// </summary>
internal static class RaftProtoTypes
{
    /// <summary>The protobuf form of <paramref name="entry"/>.</summary>
    public static LogEntry ToProto(Entry entry) =>
        new() { Term = entry.Term, Index = entry.Index, Type = (uint)entry.Type, Data = UnsafeByteOperations.UnsafeWrap(entry.Data) }; // an entry's bytes never change

    /// <summary>The core entry of <paramref name="entry"/>; checked, since the bytes came from disk or a peer.</summary>
    /// <exception cref="InvalidDataException">The entry's type is none the core knows.</exception>
    public static Entry ToEntry(LogEntry entry)
    {
        if (entry.Type > (uint)EntryType.ConfChange)
        {
            throw new InvalidDataException($"log entry {entry.Index} has the unknown type {entry.Type}");
        }

        return new Entry(entry.Term, entry.Index, (EntryType)entry.Type, entry.Data.ToByteArray());
    }

    /// <summary>The core entries of <paramref name="entries"/>, in order (a plain loop: this runs per AppendEntries).</summary>
    /// <exception cref="InvalidDataException">An entry's type is none the core knows.</exception>
    public static Entry[] ToEntries(IReadOnlyList<LogEntry> entries)
    {
        var result = new Entry[entries.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = ToEntry(entries[i]);
        }

        return result;
    }

    /// <summary>The protobuf form of <paramref name="conf"/>.</summary>
    public static ConfStateRecord ToProto(ConfState conf)
    {
        var record = new ConfStateRecord { AutoLeave = conf.AutoLeave };
        record.Voters.Add(conf.Voters);
        record.Learners.Add(conf.Learners);
        record.VotersOutgoing.Add(conf.VotersOutgoing);
        record.LearnersNext.Add(conf.LearnersNext);
        return record;
    }

    /// <summary>The configuration of <paramref name="record"/>; an absent record is the empty configuration.</summary>
    public static ConfState ToConfState(ConfStateRecord? record) => record is null
        ? ConfState.Empty
        : new ConfState([.. record.Voters], [.. record.Learners], [.. record.VotersOutgoing], [.. record.LearnersNext], record.AutoLeave);
}
