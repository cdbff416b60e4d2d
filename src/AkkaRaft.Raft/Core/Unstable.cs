namespace AkkaRaft.Raft.Core;

/// <summary>
/// The tail of the log not yet persisted: entries (and possibly a snapshot from the leader) that the next
/// <see cref="Ready"/> hands to the application. Entries[0] has index <see cref="Offset"/>.
/// </summary>
internal sealed class Unstable
{
    public Snapshot? Snapshot;
    public readonly List<Entry> Entries = new();
    public ulong Offset;

    public bool TryFirstIndex(out ulong index)
    {
        index = Snapshot is null ? 0 : Snapshot.Metadata.Index + 1;
        return Snapshot is not null;
    }

    public bool TryLastIndex(out ulong index)
    {
        if (Entries.Count > 0)
        {
            index = Offset + (ulong)Entries.Count - 1;
            return true;
        }
        index = Snapshot is null ? 0 : Snapshot.Metadata.Index;
        return Snapshot is not null;
    }

    public bool TryTerm(ulong index, out ulong term)
    {
        term = 0;
        if (index < Offset)
        {
            if (Snapshot is null || Snapshot.Metadata.Index != index) return false;
            term = Snapshot.Metadata.Term;
            return true;
        }
        if (!TryLastIndex(out var last) || index > last) return false;
        if (Entries.Count == 0)
        {
            // Only a snapshot: index == snapshot index was handled above when Offset = index + 1.
            return false;
        }
        term = Entries[(int)(index - Offset)].Term;
        return true;
    }

    /// <summary>Entries up to (index, term) are durable: forget them, unless the tail was replaced meanwhile.</summary>
    public void StableTo(ulong index, ulong term)
    {
        if (!TryTerm(index, out var actual) || actual != term || index < Offset) return;
        var count = (int)(index + 1 - Offset);
        Entries.RemoveRange(0, count);
        Offset = index + 1;
    }

    public void StableSnapTo(ulong index)
    {
        if (Snapshot is not null && Snapshot.Metadata.Index == index) Snapshot = null;
    }

    public void Restore(Snapshot snapshot)
    {
        Offset = snapshot.Metadata.Index + 1;
        Entries.Clear();
        Snapshot = snapshot;
    }

    public void TruncateAndAppend(IReadOnlyList<Entry> entries, int from)
    {
        var firstIndex = entries[from].Index;
        var end = Offset + (ulong)Entries.Count;
        if (firstIndex == end)
        {
            // Directly after the unstable tail: plain append.
        }
        else if (firstIndex <= Offset)
        {
            // Replaces everything unstable (and the storage tail from firstIndex, which the Ready tells the app).
            Offset = firstIndex;
            Entries.Clear();
        }
        else
        {
            var keep = (int)(firstIndex - Offset);
            Entries.RemoveRange(keep, Entries.Count - keep);
        }
        for (var i = from; i < entries.Count; i++) Entries.Add(entries[i]);
    }
}
