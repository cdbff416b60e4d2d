using System.Collections.Concurrent;
using AkkaRaft.Persistence.Journal;
using AkkaRaft.Persistence.Snapshots;

namespace AkkaRaft.Persistence;

/// <summary>
/// Plugins given by id in code rather than configuration: each id names a journal and a snapshot store the caller
/// opened. Ids it does not hold (and the default, a null id) go to <c>fallback</c>. For several persistent actors of
/// one system that each need their own storage: the peers of an in-process Raft group, each on its own file or
/// simulated disk.
/// </summary>
public sealed class PersistencePluginMap : IPersistencePlugins
{
    private readonly ConcurrentDictionary<string, (IJournal Journal, ISnapshotStore SnapshotStore)> _plugins = new(StringComparer.Ordinal);
    private readonly IPersistencePlugins? _fallback;

    /// <summary>An empty map; ids it does not hold, and the default, are asked of <paramref name="fallback"/> when given.</summary>
    public PersistencePluginMap(IPersistencePlugins? fallback = null)
    {
        _fallback = fallback;
    }

    /// <summary>Names <paramref name="journal"/> and <paramref name="snapshotStore"/> <paramref name="pluginId"/>, replacing what it named before.</summary>
    /// <returns>This map.</returns>
    public PersistencePluginMap Set(string pluginId, IJournal journal, ISnapshotStore snapshotStore)
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginId);
        ArgumentNullException.ThrowIfNull(journal);
        ArgumentNullException.ThrowIfNull(snapshotStore);
        _plugins[pluginId] = (journal, snapshotStore);
        return this;
    }

    /// <inheritdoc />
    public ValueTask<IJournal> GetJournalAsync(string? pluginId = null, CancellationToken cancellationToken = default) =>
        pluginId is not null && _plugins.TryGetValue(pluginId, out var plugin)
            ? ValueTask.FromResult(plugin.Journal)
            : _fallback?.GetJournalAsync(pluginId, cancellationToken) ?? throw Unknown(pluginId);

    /// <inheritdoc />
    public ValueTask<ISnapshotStore> GetSnapshotStoreAsync(string? pluginId = null, CancellationToken cancellationToken = default) =>
        pluginId is not null && _plugins.TryGetValue(pluginId, out var plugin)
            ? ValueTask.FromResult(plugin.SnapshotStore)
            : _fallback?.GetSnapshotStoreAsync(pluginId, cancellationToken) ?? throw Unknown(pluginId);

    /// <summary>Disposes the fallback; the named plugins belong to whoever opened them.</summary>
    public ValueTask DisposeAsync() => _fallback?.DisposeAsync() ?? ValueTask.CompletedTask;

    private ArgumentException Unknown(string? pluginId) =>
        new(pluginId is null
                ? "No default persistence plugin: this map has no fallback; name a plugin id."
                : $"No persistence plugin '{pluginId}'; known: {(_plugins.IsEmpty ? "none" : string.Join(", ", _plugins.Keys.Order(StringComparer.Ordinal)))}.",
            nameof(pluginId));
}
