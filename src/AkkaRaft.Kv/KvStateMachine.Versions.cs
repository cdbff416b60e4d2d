using AkkaRaft.Raft.StateMachines;

namespace AkkaRaft.Kv;

// Every key remembers the index of its last change (KvPair.LastIndex): a watch set from an index older than the peer's
// watch history asks here whether what it watches changed since.
public sealed partial class KvStateMachine : IKeyVersions
{
    /// <inheritdoc />
    /// <remarks>For a prefix, walks every key under it (in order; the newest change wins, the first key among equals).</remarks>
    public bool TryGetLastChange(string keyOrPrefix, bool prefix, out string key, out ulong index)
    {
        ArgumentNullException.ThrowIfNull(keyOrPrefix);
        key = "";
        index = 0;
        if (!prefix)
        {
            if (!_items.TryGetValue(keyOrPrefix, out var item)) return false;
            key = keyOrPrefix;
            index = item.LastIndex;
            return true;
        }

        foreach (var under in KeysFrom(keyOrPrefix, keyOrPrefix))
        {
            var last = _items[under].LastIndex;
            if (last <= index) continue;
            key = under;
            index = last;
        }

        return index > 0;
    }
}
