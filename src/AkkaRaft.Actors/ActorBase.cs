using System.Runtime.ExceptionServices;

namespace AkkaRaft.Actors;

/// <summary>
/// The base of every actor. Create actors with <see cref="Props"/> and <c>ActorOf</c>, never with <c>new</c> directly.
/// The kernel calls one method at a time on an actor, from its mailbox; members are for use from that context only.
/// </summary>
/// <remarks>
/// Extension points for other assemblies (persistence, for example): override <see cref="AroundReceive"/> to intercept
/// every message (call <c>base.AroundReceive</c> to run the behaviour), <see cref="AroundPreStart"/>,
/// <see cref="AroundPostStop"/>, <see cref="AroundPreRestart"/> and <see cref="AroundPostRestart"/> to wrap the
/// lifecycle hooks, and use <see cref="RunTask(Func{Task})"/> to run asynchronous work whose continuations come back on
/// this actor's mailbox while it holds other messages. Overrides in other assemblies are declared <c>protected override</c>.
/// </remarks>
public abstract class ActorBase
{
    private readonly ActorCell _cell;

    /// <summary>Binds the actor to the cell that is creating it.</summary>
    /// <exception cref="InvalidOperationException">The actor was constructed outside <c>ActorOf</c>.</exception>
    protected ActorBase()
    {
        _cell = ActorCell.Constructing
            ?? throw new InvalidOperationException($"{GetType().Name} was constructed with 'new'; actors are created with ActorOf(Props.Create(...))");
        _cell.SetInitialBehavior(this);
    }

    internal ActorCell Cell => _cell;


    /// <summary>The context of this actor.</summary>
    protected IActorContext Context => _cell;

    /// <summary>This actor's ref.</summary>
    protected IActorRef Self => _cell.Self;

    /// <summary>The sender of the message being processed (dead letters when none).</summary>
    protected IActorRef Sender => _cell.Sender;

    /// <summary>The initial behaviour: handles <paramref name="message"/> or returns false.</summary>
    protected internal abstract bool Receive(object message);

    /// <summary>Called when a message was not handled. Publishes <see cref="UnhandledMessage"/>; an unhandled
    /// <see cref="Terminated"/> throws <see cref="DeathPactException"/> (Akka's death pact).</summary>
    protected virtual void Unhandled(object message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message is Terminated t) throw new DeathPactException(t.ActorRef);
        _cell.System.EventStream.Publish(new UnhandledMessage(message, _cell.CurrentSenderOrNull, Self));
    }

    /// <summary>The strategy for this actor's children's failures. Default: <see cref="Actors.SupervisorStrategy.DefaultStrategy"/>.</summary>
    protected internal virtual SupervisorStrategy SupervisorStrategy() =>
        _cell.Props.SupervisorStrategy ?? Actors.SupervisorStrategy.DefaultStrategy;

    /// <summary>Called once before the first message.</summary>
    protected virtual void PreStart() { }

    /// <summary>Called once after the actor stopped (after its children stopped).</summary>
    protected virtual void PostStop() { }

    /// <summary>Called on the failed instance before a restart. Default: stops all children, then calls <see cref="PostStop"/>.</summary>
    /// <param name="reason">The failure.</param>
    /// <param name="message">The message being processed when it failed, or null.</param>
    protected virtual void PreRestart(Exception reason, object? message)
    {
        foreach (var child in _cell.Children) _cell.Stop(child);
        PostStop();
    }

    /// <summary>Called on the fresh instance after a restart. Default: calls <see cref="PreStart"/>.</summary>
    protected virtual void PostRestart(Exception reason) => PreStart();

    /// <summary>Wraps the delivery of every message to the current behaviour; runs <see cref="Unhandled"/> when it returns false.</summary>
    protected internal virtual void AroundReceive(Receive receive, object message)
    {
        if (!receive(message)) Unhandled(message);
    }

    /// <summary>Wraps <see cref="PreStart"/>.</summary>
    protected internal virtual void AroundPreStart() => PreStart();

    /// <summary>Wraps <see cref="PostStop"/>.</summary>
    protected internal virtual void AroundPostStop() => PostStop();

    /// <summary>Wraps <see cref="PreRestart"/>.</summary>
    protected internal virtual void AroundPreRestart(Exception reason, object? message) => PreRestart(reason, message);

    /// <summary>Wraps <see cref="PostRestart"/>.</summary>
    protected internal virtual void AroundPostRestart(Exception reason) => PostRestart(reason);

    /// <summary>Replaces the current behaviour.</summary>
    protected void Become(Receive receive) => _cell.Become(receive);

    /// <summary>Pushes a behaviour.</summary>
    protected void BecomeStacked(Receive receive) => _cell.BecomeStacked(receive);

    /// <summary>Pops a behaviour.</summary>
    protected void UnbecomeStacked() => _cell.UnbecomeStacked();

    /// <summary>Sets the receive timeout (see <see cref="IActorContext.SetReceiveTimeout"/>).</summary>
    protected void SetReceiveTimeout(TimeSpan? timeout) => _cell.SetReceiveTimeout(timeout);

    /// <summary>
    /// Runs <paramref name="action"/> on this actor: every <c>await</c> inside resumes on the actor's mailbox (with
    /// <see cref="Sender"/> restored), and no other message is processed until the returned task completes. A fault of
    /// the task is a failure of the actor (supervision applies). Call it only from the actor's own context.
    /// </summary>
    protected void RunTask(Func<Task> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        _cell.RunTask(action);
    }

    /// <summary>
    /// Runs <paramref name="action"/> with <see cref="Sender"/> set to <paramref name="sender"/>, then restores it: for
    /// extensions that run a callback on behalf of an earlier message (persistence runs a persist handler with the
    /// sender of the command that persisted the event). Call it only from the actor's own context.
    /// </summary>
    protected void WithSender(IActorRef sender, Action action)
    {
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(action);
        _cell.WithSender(sender, action);
    }

    /// <summary>Rethrows <paramref name="e"/> keeping its original stack trace.</summary>
    internal static void Rethrow(Exception e) => ExceptionDispatchInfo.Capture(e).Throw();
}

/// <summary>An actor that handles every message in one <see cref="OnReceive"/> method.</summary>
public abstract class UntypedActor : ActorBase
{
    /// <summary>Handles <paramref name="message"/>; call <see cref="ActorBase.Unhandled"/> for messages it does not know.</summary>
    protected abstract void OnReceive(object message);

    /// <inheritdoc />
    protected internal sealed override bool Receive(object message)
    {
        OnReceive(message);
        return true;
    }

    /// <summary>Replaces the behaviour with <paramref name="receive"/>.</summary>
    protected void Become(Action<object> receive)
    {
        ArgumentNullException.ThrowIfNull(receive);
        Become(m => { receive(m); return true; });
    }

    /// <summary>Pushes <paramref name="receive"/> on the behaviour stack.</summary>
    protected void BecomeStacked(Action<object> receive)
    {
        ArgumentNullException.ThrowIfNull(receive);
        BecomeStacked(m => { receive(m); return true; });
    }
}
