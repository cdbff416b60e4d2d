using System.Runtime.CompilerServices;
using AkkaRaft.Actors;
using AkkaRaft.Actors.Serialization;

namespace AkkaRaft.Persistence;

/// <summary>
/// Persistence of one actor system: its plugins, its serialization registry and its settings. Register it once at
/// startup (<see cref="Register"/>); persistent actors of that system find it with <see cref="Get"/>.
/// </summary>
public sealed class PersistenceExtension
{
    // The actor kernel has no extension registry; a weak table keeps this per system without keeping systems alive.
    private static readonly ConditionalWeakTable<ActorSystem, PersistenceExtension> BySystem = new();

    private PersistenceExtension(IPersistencePlugins plugins, SerializationRegistry serialization, PersistenceSettings settings)
    {
        Plugins = plugins;
        Serialization = serialization;
        Settings = settings;
    }

    /// <summary>Where journals and snapshot stores come from.</summary>
    public IPersistencePlugins Plugins { get; }

    /// <summary>Turns events and snapshots into bytes and back.</summary>
    public SerializationRegistry Serialization { get; }

    /// <summary>The persistence settings (event and snapshot size limits among them).</summary>
    public PersistenceSettings Settings { get; }

    /// <summary>Gives <paramref name="system"/> its persistence.</summary>
    /// <exception cref="InvalidOperationException">The system already has one.</exception>
    public static PersistenceExtension Register(
        ActorSystem system, IPersistencePlugins plugins, SerializationRegistry serialization, PersistenceSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(plugins);
        ArgumentNullException.ThrowIfNull(serialization);
        var extension = new PersistenceExtension(plugins, serialization, settings ?? PersistenceSettings.Default);
        if (!BySystem.TryAdd(system, extension))
        {
            throw new InvalidOperationException($"The actor system '{system.Name}' already has persistence registered.");
        }

        return extension;
    }

    /// <summary>The persistence of <paramref name="system"/>.</summary>
    /// <exception cref="InvalidOperationException">None was registered.</exception>
    public static PersistenceExtension Get(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        return BySystem.TryGetValue(system, out var extension)
            ? extension
            : throw new InvalidOperationException(
                $"The actor system '{system.Name}' has no persistence; call PersistenceExtension.Register(system, plugins, serialization) at startup.");
    }
}
