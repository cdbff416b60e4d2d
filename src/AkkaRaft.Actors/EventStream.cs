namespace AkkaRaft.Actors;

/// <summary>
/// Publish–subscribe inside one actor system (dead letters, unhandled messages, log events, and anything users publish).
/// A subscriber to a type receives every published event assignable to it, in publication order.
/// </summary>
public sealed class EventStream
{
    private readonly object _gate = new();
    private Subscription[] _subscriptions = [];

    /// <summary>Subscribes <paramref name="subscriber"/> to events assignable to <paramref name="channel"/>; false when already subscribed.</summary>
    public bool Subscribe(IActorRef subscriber, Type channel)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        ArgumentNullException.ThrowIfNull(channel);
        lock (_gate)
        {
            foreach (var s in _subscriptions)
            {
                if (Equals(s.Actor, subscriber) && s.Channel == channel) return false;
            }
            _subscriptions = [.. _subscriptions, new Subscription(channel, subscriber, null)];
            return true;
        }
    }

    /// <summary>Calls <paramref name="handler"/> synchronously, on the publishing thread, for events of type <typeparamref name="T"/>.
    /// Dispose the result to unsubscribe. For loggers and tests; actors should subscribe with their ref.</summary>
    public IDisposable Subscribe<T>(Action<T> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var subscription = new Subscription(typeof(T), null, e => handler((T)e));
        lock (_gate) _subscriptions = [.. _subscriptions, subscription];
        return new Unsubscriber(this, subscription);
    }

    /// <summary>Unsubscribes <paramref name="subscriber"/> from <paramref name="channel"/>; false when it was not subscribed.</summary>
    public bool Unsubscribe(IActorRef subscriber, Type channel)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        return Remove(s => Equals(s.Actor, subscriber) && s.Channel == channel);
    }

    /// <summary>Unsubscribes <paramref name="subscriber"/> from every channel.</summary>
    public bool Unsubscribe(IActorRef subscriber)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        return Remove(s => Equals(s.Actor, subscriber));
    }

    /// <summary>Delivers <paramref name="event"/> to every matching subscriber.</summary>
    public void Publish(object @event)
    {
        ArgumentNullException.ThrowIfNull(@event);
        var subscriptions = Volatile.Read(ref _subscriptions);
        foreach (var s in subscriptions)
        {
            if (!s.Channel.IsInstanceOfType(@event)) continue;
            if (s.Actor is not null) s.Actor.Tell(@event, null);
            else s.Handler!(@event);
        }
    }

    private bool Remove(Func<Subscription, bool> match)
    {
        lock (_gate)
        {
            var kept = _subscriptions.Where(s => !match(s)).ToArray();
            var removed = kept.Length != _subscriptions.Length;
            _subscriptions = kept;
            return removed;
        }
    }

    private sealed record Subscription(Type Channel, IActorRef? Actor, Action<object>? Handler);

    private sealed class Unsubscriber(EventStream stream, Subscription subscription) : IDisposable
    {
        public void Dispose() => stream.Remove(s => ReferenceEquals(s, subscription));
    }
}
