using System.Collections.Concurrent;
using AkkaRaft.Actors;

namespace AkkaRaft.TestKit;

/// <summary>
/// An actor whose received messages a test inspects: <see cref="ExpectMsg{T}(TimeSpan?)"/>, <see cref="ExpectNoMsg"/>,
/// <see cref="ExpectTerminated"/>, <see cref="FishForMessage"/>. On the thread-pool dispatcher the expectations block
/// up to their timeout; under the simulation they run the world and advance virtual time instead.
/// </summary>
public sealed class TestProbe
{
    private readonly ConcurrentQueue<(object Message, IActorRef? Sender)> _queue = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly TestKitSettings _settings;

    internal TestProbe(ActorSystem system, TestKitSettings settings, string? name)
    {
        Sys = system;
        _settings = settings;
        Ref = system.ActorOf(Props.Create(() => new ProbeActor(this)), name);
    }

    /// <summary>The system the probe lives in.</summary>
    public ActorSystem Sys { get; }

    /// <summary>The probe's ref: tell it messages, or pass it as a sender.</summary>
    public IActorRef Ref { get; }

    /// <summary>The sender of the last message taken from the probe.</summary>
    public IActorRef? LastSender { get; private set; }

    /// <summary>Messages received and not yet taken.</summary>
    public int PendingCount => _queue.Count;

    /// <summary>Sends <paramref name="message"/> to <paramref name="target"/> with the probe as sender.</summary>
    public void Send(IActorRef target, object message)
    {
        ArgumentNullException.ThrowIfNull(target);
        target.Tell(message, Ref);
    }

    /// <summary>Replies <paramref name="message"/> to the sender of the last message taken.</summary>
    public void Reply(object message)
    {
        var sender = LastSender ?? throw new InvalidOperationException("no message has been received yet, so there is no one to reply to");
        sender.Tell(message, Ref);
    }

    /// <summary>Forwards <paramref name="message"/> to <paramref name="target"/> keeping the last sender.</summary>
    public void Forward(IActorRef target, object message)
    {
        ArgumentNullException.ThrowIfNull(target);
        target.Tell(message, LastSender);
    }

    /// <summary>Watches <paramref name="target"/>: its <see cref="Terminated"/> arrives at this probe. Returns once the watch is in place.</summary>
    public IActorRef Watch(IActorRef target)
    {
        ArgumentNullException.ThrowIfNull(target);
        ChangeWatch(target, watch: true);
        return target;
    }

    /// <summary>Stops watching <paramref name="target"/>. Returns once the watch is removed.</summary>
    public IActorRef Unwatch(IActorRef target)
    {
        ArgumentNullException.ThrowIfNull(target);
        ChangeWatch(target, watch: false);
        return target;
    }

    private void ChangeWatch(IActorRef target, bool watch)
    {
        var request = new WatchRequest(target, watch, new ManualResetEventSlim());
        Ref.Tell(request, null);
        var wait = _settings.SingleExpectDefault;
        var done = Sys.Simulation is { } world
            ? world.RunUntil(() => request.Done.IsSet, wait)
            : request.Done.Wait(wait);
        if (!done) throw Failure($"the probe did not {(watch ? "watch" : "unwatch")} {target.Path} within {wait}");
    }

    /// <summary>The next message, or null when none arrived within <paramref name="timeout"/>.</summary>
    public object? ReceiveOne(TimeSpan? timeout = null)
    {
        var wait = timeout ?? _settings.SingleExpectDefault;
        if (Sys.Simulation is { } world)
        {
            world.RunUntil(() => !_queue.IsEmpty, wait);
            if (!_signal.Wait(0)) return null;
        }
        else if (!_signal.Wait(wait))
        {
            return null;
        }
        if (!_queue.TryDequeue(out var item)) throw new InvalidOperationException("the probe's queue and signal disagree");
        LastSender = item.Sender;
        return item.Message;
    }

    /// <summary>Expects a message of type <typeparamref name="T"/> next, within <paramref name="timeout"/>.</summary>
    public T ExpectMsg<T>(TimeSpan? timeout = null) => ExpectMsg<T>((Predicate<T>?)null, timeout);

    /// <summary>Expects a message of type <typeparamref name="T"/> satisfying <paramref name="predicate"/> next.</summary>
    public T ExpectMsg<T>(Predicate<T>? predicate, TimeSpan? timeout = null)
    {
        var wait = timeout ?? _settings.SingleExpectDefault;
        var message = ReceiveOne(wait);
        if (message is null) throw Failure($"timeout ({wait}) while waiting for a message of type {typeof(T).Name}");
        if (message is not T typed) throw Failure($"expected a message of type {typeof(T).Name} but received {message!.GetType().Name}: {message}");
        if (predicate is not null && !predicate(typed)) throw Failure($"the message {typed} of type {typeof(T).Name} does not satisfy the predicate");
        return typed;
    }

    /// <summary>Expects a message equal to <paramref name="expected"/> next.</summary>
    public T ExpectMsg<T>(T expected, TimeSpan? timeout = null) where T : notnull
    {
        var wait = timeout ?? _settings.SingleExpectDefault;
        var message = ReceiveOne(wait);
        if (message is null) throw Failure($"timeout ({wait}) while waiting for {expected}");
        if (message is not T typed || !EqualityComparer<T>.Default.Equals(typed, expected)) throw Failure($"expected {expected} but received {message}");
        return (T)message!;
    }

    /// <summary>Expects that no message arrives during <paramref name="duration"/>.</summary>
    public void ExpectNoMsg(TimeSpan? duration = null)
    {
        var wait = duration ?? _settings.ExpectNoMessageDefault;
        if (Sys.Simulation is { } world)
        {
            // Let the world run for the whole duration: a message arriving at any point inside it is a failure.
            world.RunUntil(() => !_queue.IsEmpty, wait);
        }
        else
        {
            _signal.Wait(wait);
            if (_queue.IsEmpty) return;
            _signal.Release();
        }
        if (_queue.TryPeek(out var item)) throw Failure($"expected no message during {wait} but received {item.Message.GetType().Name}: {item.Message}");
    }

    /// <summary>Expects <see cref="Terminated"/> of <paramref name="target"/> next (the probe must watch it).</summary>
    public Terminated ExpectTerminated(IActorRef target, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        return ExpectMsg<Terminated>(t => Equals(t.ActorRef, target), timeout);
    }

    /// <summary>Takes messages until one satisfies <paramref name="isTheOne"/> and returns it; fails on timeout.</summary>
    public object FishForMessage(Predicate<object> isTheOne, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(isTheOne);
        var wait = timeout ?? _settings.SingleExpectDefault;
        var clock = Sys.Clock;
        var deadline = clock.Elapsed + wait;
        while (true)
        {
            var left = deadline - clock.Elapsed;
            var message = left > TimeSpan.Zero ? ReceiveOne(left) : ReceiveOne(TimeSpan.Zero);
            if (message is null) throw Failure($"timeout ({wait}) while fishing for a message");
            if (isTheOne(message!)) return message!;
        }
    }

    /// <summary>Takes messages until one of type <typeparamref name="T"/> satisfies <paramref name="isTheOne"/>.</summary>
    public T FishForMessage<T>(Predicate<T>? isTheOne = null, TimeSpan? timeout = null) =>
        (T)FishForMessage(m => m is T t && (isTheOne is null || isTheOne(t)), timeout);

    private Xunit.Sdk.XunitException Failure(string what)
    {
        var where = Sys.Simulation is { } world ? $" (simulation seed {world.Seed}, virtual time {world.Now})" : "";
        return new Xunit.Sdk.XunitException($"{Ref.Path}: {what}{where}");
    }

    private void Enqueue(object message, IActorRef? sender)
    {
        _queue.Enqueue((message, sender));
        _signal.Release();
    }

    private sealed record WatchRequest(IActorRef Target, bool Watch, ManualResetEventSlim Done);

    private sealed class ProbeActor(TestProbe probe) : ActorBase
    {
        protected override bool Receive(object message)
        {
            if (message is WatchRequest request)
            {
                if (request.Watch) Context.Watch(request.Target);
                else Context.Unwatch(request.Target);
                request.Done.Set();
                return true;
            }
            probe.Enqueue(message, Context.Sender);
            return true;
        }
    }
}
