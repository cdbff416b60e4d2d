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

    /// <summary>
    /// Settings for tests that do not test the failure detector: a watched system is declared unreachable only after
    /// a minute, so a busy test machine never turns "the actor stopped" into "its system vanished".
    /// </summary>
    public static RemoteSettings Fast(string secret = "test-secret") => Transports.Loopback(secret) with
    {
        HeartbeatInterval = TimeSpan.FromMilliseconds(100),
        UnreachableAfter = TimeSpan.FromMinutes(1),
        ReconnectBackoffMax = TimeSpan.FromMilliseconds(200),
    };

    /// <summary>Settings for tests of the failure detector: a silent watched system is declared terminated after 2 s.</summary>
    public static RemoteSettings QuickDetector() => Fast() with { UnreachableAfter = TimeSpan.FromSeconds(2) };

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

/// <summary>
/// Watches a remote target, then pings it from the same actor turn, and reports the Pong and the Terminated to
/// <paramref name="reportTo"/>. Because the Watch is queued on the connection before the Ping, the Pong proves the
/// remote system registered the watch (TestProbe.Watch is asynchronous and gives no such order).
/// </summary>
internal sealed class WatchingActor : ReceiveActor
{
    private readonly IActorRef _target;

    public WatchingActor(IActorRef target, IActorRef reportTo)
    {
        _target = target;
        Receive<AkkaRaft.Remote.TestHost.Messages.Pong>(pong => reportTo.Tell(pong, Self));
        Receive<Terminated>(terminated => reportTo.Tell(terminated, Self));
    }

    protected override void PreStart()
    {
        Context.Watch(_target);
        _target.Tell(new AkkaRaft.Remote.TestHost.Messages.Ping { Seq = -1, Text = "watch barrier" }, Self);
    }
}
