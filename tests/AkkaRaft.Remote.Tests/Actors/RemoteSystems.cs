using AkkaRaft.Actors;
using AkkaRaft.Actors.Serialization;
using AkkaRaft.Remote.Actors;
using AkkaRaft.Remote.TestHost;
using AkkaRaft.Remote.Tests.Transport;

namespace AkkaRaft.Remote.Tests.Actors;

/// <summary>Actor systems with remoting on loopback, port 0, for tests; disposes them all.</summary>
internal sealed class RemoteSystems : IDisposable
{
    private readonly List<ActorSystem> _systems = [];

    /// <summary>Settings with a quick failure detector, so tests of unreachable systems finish soon.</summary>
    public static RemoteSettings Fast(string secret = "test-secret") => Transports.Loopback(secret) with
    {
        HeartbeatInterval = TimeSpan.FromMilliseconds(100),
        UnreachableAfter = TimeSpan.FromSeconds(1),
        ReconnectBackoffMax = TimeSpan.FromMilliseconds(200),
    };

    public static SerializationRegistry Serialization(bool withUnregistered = false) => TestSerialization.Create(withUnregistered);

    public (ActorSystem System, RemoteActorRefProvider Remote, RecordingLog Log) Start(string name, RemoteSettings? settings = null,
        SerializationRegistry? serialization = null)
    {
        var system = ActorSystem.Create(name);
        _systems.Add(system);
        var log = new RecordingLog();
        var remote = RemoteActorRefProvider.Start(system, settings ?? Fast(), serialization ?? Serialization(), log);
        return (system, remote, log);
    }

    public void Dispose()
    {
        foreach (var system in _systems) system.Dispose();
    }
}
