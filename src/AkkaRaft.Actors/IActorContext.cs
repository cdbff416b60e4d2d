namespace AkkaRaft.Actors;

/// <summary>
/// What an actor knows about itself and can do with the kernel (Akka's <c>Context</c>). Use it only from the actor's own
/// message handling (constructor, handlers, lifecycle hooks), never from another thread.
/// </summary>
public interface IActorContext
{
    /// <summary>This actor's ref.</summary>
    IActorRef Self { get; }

    /// <summary>The sender of the message being processed; dead letters when it had none.</summary>
    IActorRef Sender { get; }

    /// <summary>The parent (supervisor) of this actor.</summary>
    IActorRef Parent { get; }

    /// <summary>The actor system.</summary>
    ActorSystem System { get; }

    /// <summary>The props this actor was created from.</summary>
    Props Props { get; }

    /// <summary>The children, in creation order.</summary>
    IReadOnlyList<IActorRef> Children { get; }

    /// <summary>The receive timeout, or null when none is set.</summary>
    TimeSpan? ReceiveTimeout { get; }

    /// <summary>Creates a child; <paramref name="name"/> must be unique among the children (null for a generated name).</summary>
    /// <exception cref="InvalidActorNameException">The name is invalid or taken.</exception>
    IActorRef ActorOf(Props props, string? name = null);

    /// <summary>The child named <paramref name="name"/>, or <see cref="ActorRefs.Nobody"/>.</summary>
    IActorRef Child(string name);

    /// <summary>Stops <paramref name="child"/> (a child or this actor) after its current message.</summary>
    void Stop(IActorRef child);

    /// <summary>Watches <paramref name="subject"/>: a <see cref="Terminated"/> arrives when it stops. Returns <paramref name="subject"/>.</summary>
    IActorRef Watch(IActorRef subject);

    /// <summary>Watches <paramref name="subject"/> and receives <paramref name="message"/> instead of <see cref="Terminated"/>.</summary>
    IActorRef WatchWith(IActorRef subject, object message);

    /// <summary>Stops watching <paramref name="subject"/>; a pending <see cref="Terminated"/> for it is not delivered.</summary>
    IActorRef Unwatch(IActorRef subject);

    /// <summary>
    /// Sends <see cref="Actors.ReceiveTimeout"/> to this actor when no message (other than
    /// <see cref="INotInfluenceReceiveTimeout"/> ones) arrived for <paramref name="timeout"/>; null turns it off.
    /// </summary>
    void SetReceiveTimeout(TimeSpan? timeout);

    /// <summary>Replaces the current behaviour with <paramref name="receive"/>.</summary>
    void Become(Receive receive);

    /// <summary>Pushes <paramref name="receive"/> on the behaviour stack.</summary>
    void BecomeStacked(Receive receive);

    /// <summary>Pops the behaviour stack (never below the initial behaviour).</summary>
    void UnbecomeStacked();
}

/// <summary>A behaviour: handles <paramref name="message"/> and returns true, or returns false when it does not handle it.</summary>
public delegate bool Receive(object message);
