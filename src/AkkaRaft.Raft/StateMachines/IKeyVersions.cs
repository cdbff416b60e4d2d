namespace AkkaRaft.Raft.StateMachines;

/// <summary>
/// Optional for an <see cref="IStateMachine"/> whose data are keys that remember the log index of their last change
/// (the key/value store does). A watch set from an index older than the peer's watch history asks it whether what the
/// watch covers changed since, so that the watch fires at once instead of waiting for the next change.
/// </summary>
public interface IKeyVersions
{
    /// <summary>
    /// The newest change among the keys that exist now: of <paramref name="keyOrPrefix"/> itself, or when
    /// <paramref name="prefix"/> of every key that starts with it. False when no such key exists (a deleted key leaves
    /// no index behind). Reads the state only.
    /// </summary>
    /// <param name="keyOrPrefix">The key, or the prefix.</param>
    /// <param name="prefix">Whether <paramref name="keyOrPrefix"/> is a prefix.</param>
    /// <param name="key">The key of the newest change.</param>
    /// <param name="index">The log index of the newest change.</param>
    bool TryGetLastChange(string keyOrPrefix, bool prefix, out string key, out ulong index);

    /// <summary>
    /// Whether <paramref name="key"/> exists now, asked right after an entry that changed it was applied: a watch's
    /// change is a put when it does and a delete when it does not. By default, whether it has a last change.
    /// </summary>
    /// <param name="key">A key among an entry's <see cref="ApplyResult.ChangedKeys"/>.</param>
    bool Exists(string key) => TryGetLastChange(key, prefix: false, out _, out _);
}
