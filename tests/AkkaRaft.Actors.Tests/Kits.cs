using AkkaRaft.Actors;
using AkkaRaft.Actors.Simulation;

namespace AkkaRaft.Actors.Tests;

/// <summary>Which dispatcher a test runs on.</summary>
public enum Mode
{
    ThreadPool,
    Simulation,
}

/// <summary>Creates a TestKit on either dispatcher, so one test checks both.</summary>
public static class Kits
{
    public static TestKit.TestKit Create(Mode mode, int seed = 42, ActorSystemSettings? settings = null)
    {
        settings ??= ActorSystemSettings.Default with { StdoutLogLevel = LogLevel.Off };
        return mode == Mode.Simulation
            ? new TestKit.TestKit(new SimulationWorld(seed).CreateSystem("test", settings))
            : new TestKit.TestKit(ActorSystem.Create("test", settings));
    }
}

public sealed record Ping(int N);

public sealed record Pong(int N);

/// <summary>Replies Pong(n) to Ping(n).</summary>
public sealed class Echo : ReceiveActor
{
    public Echo()
    {
        Receive<Ping>(p => Sender.Tell(new Pong(p.N), Self));
        Receive<string>(s => Sender.Tell(s, Self));
    }
}

/// <summary>Reports its lifecycle to a probe.</summary>
public sealed class LifecycleReporter : ReceiveActor
{
    private readonly IActorRef _probe;
    private int _count;

    public LifecycleReporter(IActorRef probe)
    {
        _probe = probe;
        Receive<string>(s => s == "boom", _ => throw new InvalidOperationException("boom"));
        Receive<string>(s => s == "count", _ => Sender.Tell(_count, Self));
        Receive<int>(n =>
        {
            _count += n;
            Sender.Tell(_count, Self);
        });
    }

    protected override void PreStart() => _probe.Tell("prestart", Self);

    protected override void PostStop() => _probe.Tell("poststop", Self);

    protected override void PreRestart(Exception reason, object? message)
    {
        _probe.Tell("prerestart:" + message, Self);
        base.PreRestart(reason, message);
    }

    protected override void PostRestart(Exception reason)
    {
        _probe.Tell("postrestart:" + reason.Message, Self);
        base.PostRestart(reason);
    }
}
