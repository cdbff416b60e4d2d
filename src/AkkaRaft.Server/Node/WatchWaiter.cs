using Akka.Actor;
using AkkaRaft.Client;
using AkkaRaft.Client.Sessions;

namespace AkkaRaft.Server.Node;

/// <summary>Waits for the one answer of a watch, for the HTTP and the gRPC APIs.</summary>
internal static class WatchWaiter
{
    /// <summary>
    /// Sets <paramref name="watch"/> with <paramref name="peer"/> and waits for its one answer (or <paramref name="guard"/>:
    /// <see cref="RequestTimedOut"/>); <paramref name="onSet"/>, when given, hears the <see cref="WatchSet"/> of a watch that waits.
    /// </summary>
    public static async Task<object> WaitAsync(ActorSystem system, IActorRef peer, Watch watch, TimeSpan guard, CancellationToken aborted, Action<WatchSet>? onSet = null)
    {
        var done = new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiter = system.ActorOf(WatchWaiterActor.Props(peer, watch, guard, done, onSet));
        await using var stop = aborted.Register(() => system.Stop(waiter)).ConfigureAwait(false);
        return await done.Task.WaitAsync(aborted).ConfigureAwait(false);
    }
}

/// <summary>
/// The actor behind <see cref="WatchWaiter.WaitAsync"/>: sets the watch with the peer, DeathWatches the watch's actor
/// once it is set (a watch whose actor stops without firing lost its peer: that is <see cref="WatchReason.LeaderChanged"/>),
/// and completes with the first answer. Stopping it (the HTTP request was aborted, the gRPC call cancelled) is what
/// the watch's actor sees through DeathWatch, and it drops the watch.
/// </summary>
internal sealed class WatchWaiterActor : ReceiveActor, IWithTimers
{
    private readonly TaskCompletionSource<object> _done;
    private readonly Action _start;
    private IActorRef? _trigger;
    private long _watchId;

    public WatchWaiterActor(IActorRef peer, Watch watch, TimeSpan guard, TaskCompletionSource<object> done, Action<WatchSet>? onSet)
    {
        _done = done;
        Receive<WatchSet>(set =>
        {
            _trigger = Sender;
            _watchId = set.WatchId;
            Context.Watch(Sender);
            onSet?.Invoke(set);
        });
        Receive<Terminated>(t => t.ActorRef.Equals(_trigger), _ => Finish(new WatchFired(_watchId, WatchReason.LeaderChanged, null, 0)));
        Receive<GuardPassed>(_ => Finish(new RequestTimedOut(guard)));
        ReceiveAny(Finish);
        _start = () =>
        {
            peer.Tell(watch, Self);
            Timers!.StartSingleTimer(GuardPassed.Instance, GuardPassed.Instance, guard);
        };
    }

    protected override void PreStart() => _start();

    /// <summary>Stopped before an answer (the request was aborted, or the system stops): whoever waits is not left hanging.</summary>
    protected override void PostStop() => _done.TrySetException(new OperationCanceledException("the watch's waiter stopped before an answer"));

    /// <inheritdoc />
    public ITimerScheduler? Timers { get; set; }

    /// <summary>The props of a waiter that completes <paramref name="done"/>.</summary>
    public static Props Props(IActorRef peer, Watch watch, TimeSpan guard, TaskCompletionSource<object> done, Action<WatchSet>? onSet = null) =>
        Akka.Actor.Props.Create(() => new WatchWaiterActor(peer, watch, guard, done, onSet));

    private void Finish(object answer)
    {
        _done.TrySetResult(answer);
        Context.Stop(Self);
    }

    private sealed record GuardPassed
    {
        public static GuardPassed Instance { get; } = new();
    }
}
