using AkkaRaft.Actors;
using AkkaRaft.Actors.Simulation;

namespace AkkaRaft.TestKit;

/// <summary>
/// The base class of actor tests (xunit), in Akka.TestKit's shapes: <see cref="Sys"/>, <see cref="TestActor"/>,
/// <see cref="CreateTestProbe"/> and the <c>Expect*</c> methods of the default probe. Works on the thread-pool
/// dispatcher and under the simulation (pass a system from <see cref="SimulationWorld.CreateSystem"/>), where waiting
/// advances virtual time. Disposing terminates the system.
/// </summary>
public class TestKit : IDisposable
{
    private readonly TestProbe _testActor;
    private int _probes;

    /// <summary>A test on a fresh thread-pool actor system.</summary>
    public TestKit(ActorSystemSettings? settings = null, string? systemName = null, TestKitSettings? testKitSettings = null)
        : this(ActorSystem.Create(systemName ?? "test", settings ?? ActorSystemSettings.Default), testKitSettings)
    {
    }

    /// <summary>
    /// A test on a fresh thread-pool actor system configured by <paramref name="config"/> (the full configuration:
    /// <c>akkaraft.actor</c> and <c>akkaraft.actor.testkit</c>; reference.conf fills in what is missing).
    /// </summary>
    public TestKit(AkkaRaft.Configuration.Config config, string? systemName = null)
        : this(ActorSystem.Create(systemName ?? "test", config), TestKitSettings.FromConfig(config.GetConfig(ActorSystemSettings.SectionPath + ".testkit")))
    {
    }

    /// <summary>A test on <paramref name="system"/> (for example one from <see cref="SimulationWorld.CreateSystem"/>).</summary>
    public TestKit(ActorSystem system, TestKitSettings? testKitSettings = null)
    {
        Sys = system ?? throw new ArgumentNullException(nameof(system));
        TestKitSettings = testKitSettings ?? TestKitSettings.Default;
        _testActor = new TestProbe(Sys, TestKitSettings, "testActor");
    }

    /// <summary>The actor system under test.</summary>
    public ActorSystem Sys { get; }

    /// <summary>The TestKit's timeouts.</summary>
    public TestKitSettings TestKitSettings { get; }

    /// <summary>The simulated world, or null on the thread-pool dispatcher.</summary>
    public SimulationWorld? World => Sys.Simulation;

    /// <summary>The default probe's ref: use it as the sender of messages whose replies the test expects.</summary>
    public IActorRef TestActor => _testActor.Ref;

    /// <summary>The sender of the last message the default probe took.</summary>
    public IActorRef? LastSender => _testActor.LastSender;

    /// <summary>A new probe.</summary>
    public TestProbe CreateTestProbe(string? name = null) =>
        new(Sys, TestKitSettings, name ?? "probe-" + Interlocked.Increment(ref _probes).ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Expects a message of type <typeparamref name="T"/> at <see cref="TestActor"/>.</summary>
    public T ExpectMsg<T>(TimeSpan? timeout = null) => _testActor.ExpectMsg<T>(timeout);

    /// <summary>Expects a message of type <typeparamref name="T"/> satisfying <paramref name="predicate"/>.</summary>
    public T ExpectMsg<T>(Predicate<T>? predicate, TimeSpan? timeout = null) => _testActor.ExpectMsg(predicate, timeout);

    /// <summary>Expects a message equal to <paramref name="expected"/>.</summary>
    public T ExpectMsg<T>(T expected, TimeSpan? timeout = null) where T : notnull => _testActor.ExpectMsg(expected, timeout);

    /// <summary>Expects no message at <see cref="TestActor"/> during <paramref name="duration"/>.</summary>
    public void ExpectNoMsg(TimeSpan? duration = null) => _testActor.ExpectNoMsg(duration);

    /// <summary>Expects <see cref="Terminated"/> of <paramref name="target"/> (watch it first with <see cref="Watch"/>).</summary>
    public Terminated ExpectTerminated(IActorRef target, TimeSpan? timeout = null) => _testActor.ExpectTerminated(target, timeout);

    /// <summary>Takes messages until one satisfies <paramref name="isTheOne"/>.</summary>
    public object FishForMessage(Predicate<object> isTheOne, TimeSpan? timeout = null) => _testActor.FishForMessage(isTheOne, timeout);

    /// <summary>Takes messages until one of type <typeparamref name="T"/> satisfies <paramref name="isTheOne"/>.</summary>
    public T FishForMessage<T>(Predicate<T>? isTheOne = null, TimeSpan? timeout = null) => _testActor.FishForMessage(isTheOne, timeout);

    /// <summary>The next message at <see cref="TestActor"/>, or null on timeout.</summary>
    public object? ReceiveOne(TimeSpan? timeout = null) => _testActor.ReceiveOne(timeout);

    /// <summary>Makes <see cref="TestActor"/> watch <paramref name="target"/>.</summary>
    public IActorRef Watch(IActorRef target) => _testActor.Watch(target);

    /// <summary>Makes <see cref="TestActor"/> stop watching <paramref name="target"/>.</summary>
    public IActorRef Unwatch(IActorRef target) => _testActor.Unwatch(target);

    /// <summary>
    /// The result of <paramref name="task"/> (for example an Ask): under the simulation the world runs until it completes
    /// (in virtual time); otherwise the test thread waits. Fails when it does not complete within <paramref name="timeout"/>.
    /// </summary>
    public T Await<T>(Task<T> task, TimeSpan? timeout = null)
    {
        AwaitCompletion(task, timeout);
        return task.GetAwaiter().GetResult();
    }

    /// <summary>Waits for <paramref name="task"/> like <see cref="Await{T}"/> and rethrows its exception.</summary>
    public void Await(Task task, TimeSpan? timeout = null)
    {
        AwaitCompletion(task, timeout);
        task.GetAwaiter().GetResult();
    }

    private void AwaitCompletion(Task task, TimeSpan? timeout)
    {
        ArgumentNullException.ThrowIfNull(task);
        var wait = timeout ?? TestKitSettings.SingleExpectDefault;
        var done = World is { } world ? world.RunUntilCompleted(task, wait) : ((IAsyncResult)task).AsyncWaitHandle.WaitOne(wait);
        if (!done) throw new Xunit.Sdk.XunitException($"the task did not complete within {wait}" + (World is { } w ? $" (simulation seed {w.Seed})" : ""));
    }

    /// <summary>Terminates the system (and, under the simulation, runs the world until it has).</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Terminates the system.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (!disposing) return;
        var terminated = Sys.Terminate();
        if (World is { } world) world.RunUntilCompleted(terminated, TimeSpan.FromMinutes(1));
        else terminated.Wait(TimeSpan.FromSeconds(10));
    }
}
