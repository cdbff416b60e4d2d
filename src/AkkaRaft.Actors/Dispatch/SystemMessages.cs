namespace AkkaRaft.Actors.Dispatch;

/// <summary>
/// Messages between the kernel's cells: lifecycle, supervision and death watch. They have their own queue in the mailbox
/// and are processed before user messages, even while the actor is suspended.
/// </summary>
internal abstract class SystemMessage;

internal sealed class Create : SystemMessage
{
    public static readonly Create Instance = new();
}

internal sealed class Recreate(Exception cause) : SystemMessage
{
    public Exception Cause { get; } = cause;
}

internal sealed class Suspend : SystemMessage
{
    public static readonly Suspend Instance = new();
}

internal sealed class Resume(Exception? cause) : SystemMessage
{
    public Exception? Cause { get; } = cause;
}

internal sealed class Terminate : SystemMessage
{
    public static readonly Terminate Instance = new();
}

internal sealed class Watch(IActorRef watchee, IActorRef watcher) : SystemMessage
{
    public IActorRef Watchee { get; } = watchee;

    public IActorRef Watcher { get; } = watcher;
}

internal sealed class Unwatch(IActorRef watchee, IActorRef watcher) : SystemMessage
{
    public IActorRef Watchee { get; } = watchee;

    public IActorRef Watcher { get; } = watcher;
}

internal sealed class DeathWatchNotification(IActorRef actor, bool existenceConfirmed, bool addressTerminated) : SystemMessage
{
    public IActorRef Actor { get; } = actor;

    public bool ExistenceConfirmed { get; } = existenceConfirmed;

    public bool AddressTerminated { get; } = addressTerminated;
}

internal sealed class Failed(IActorRef child, Exception cause) : SystemMessage
{
    public IActorRef Child { get; } = child;

    public Exception Cause { get; } = cause;
}

/// <summary>A continuation of an <c>await</c> inside the actor, posted by its synchronization context.</summary>
internal sealed class AsyncContinuation(SendOrPostCallback callback, object? state, long incarnation) : SystemMessage
{
    public SendOrPostCallback Callback { get; } = callback;

    public object? State { get; } = state;

    public long Incarnation { get; } = incarnation;
}

/// <summary>The task the actor was awaiting (ReceiveAsync / RunTask) completed.</summary>
internal sealed class AsyncCompleted(Task task, long generation) : SystemMessage
{
    public Task Task { get; } = task;

    public long Generation { get; } = generation;
}
