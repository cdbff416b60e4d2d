using AkkaRaft.Actors.Serialization;
using AkkaRaft.Persistence.Journal;

namespace AkkaRaft.Persistence;

public abstract partial class PersistentActor
{
    // Persist, PersistAll and Defer calls of the command (or of the handlers) being run, in call order.
    private readonly List<Invocation> _pending = new();

    /// <summary>
    /// Persists <paramref name="event"/> and, once the journal says it is durable, runs <paramref name="handler"/> with it
    /// (with <c>Sender</c> still the sender of the command). Commands wait until then. Call it from a command handler
    /// or from another persist handler.
    /// </summary>
    /// <exception cref="InvalidOperationException">Called during recovery or outside command handling.</exception>
    protected void Persist<TEvent>(TEvent @event, Action<TEvent> handler)
    {
        ArgumentNullException.ThrowIfNull(@event);
        ArgumentNullException.ThrowIfNull(handler);
        EnsureMayPersist(nameof(Persist));
        _pending.Add(new Invocation([@event], e => handler((TEvent)e), Written: true));
    }

    /// <summary>
    /// Persists <paramref name="events"/> as ONE atomic journal write (all or none), then runs <paramref name="handler"/>
    /// for each, in order. An empty sequence writes nothing and runs nothing.
    /// </summary>
    /// <exception cref="InvalidOperationException">Called during recovery or outside command handling.</exception>
    protected void PersistAll<TEvent>(IEnumerable<TEvent> events, Action<TEvent> handler)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(handler);
        EnsureMayPersist(nameof(PersistAll));
        var list = new List<object>();
        foreach (var e in events)
        {
            list.Add(e ?? throw new ArgumentException("PersistAll got a null event.", nameof(events)));
        }

        if (list.Count > 0)
        {
            _pending.Add(new Invocation(list, e => handler((TEvent)e), Written: true));
        }
    }

    /// <summary>
    /// Runs <paramref name="handler"/> with <paramref name="event"/> after the handlers of every Persist call made before
    /// it, without writing anything (for replies that must follow the persisted state).
    /// </summary>
    /// <exception cref="InvalidOperationException">Called during recovery or outside command handling.</exception>
    protected void Defer<TEvent>(TEvent @event, Action<TEvent> handler)
    {
        ArgumentNullException.ThrowIfNull(@event);
        ArgumentNullException.ThrowIfNull(handler);
        EnsureMayPersist(nameof(Defer));
        _pending.Add(new Invocation([@event], e => handler((TEvent)e), Written: false));
    }

    /// <summary>
    /// Deletes this actor's events up to and including <paramref name="toSequenceNr"/> (at most <see cref="LastSequenceNr"/>);
    /// replies <see cref="DeleteMessagesSuccess"/> or <see cref="DeleteMessagesFailure"/> to this actor.
    /// </summary>
    protected void DeleteMessages(long toSequenceNr)
    {
        var journal = Journal;
        var to = Math.Min(toSequenceNr, LastSequenceNr);
        var self = Self;
        var persistenceId = PersistenceId;
        _ = DeleteAsync();

        async Task DeleteAsync()
        {
            try
            {
                await journal.DeleteMessagesToAsync(persistenceId, to).ConfigureAwait(false);
                self.Tell(new DeleteMessagesSuccess(to), self);
            }
            catch (Exception e)
            {
                self.Tell(new DeleteMessagesFailure(e, to), self);
            }
        }
    }

    private void EnsureMayPersist(string operation)
    {
        if (_phase is not (Phase.HandlingCommand or Phase.Writing))
        {
            throw new InvalidOperationException(
                IsRecovering
                    ? $"{operation} was called during recovery of '{PersistenceId}'; recovery handlers only rebuild state."
                    : $"{operation} must be called from a command handler (or a persist handler) of '{PersistenceId}', not from {_phase}.");
        }
    }

    /// <summary>
    /// Writes the pending events in one journal write, then runs the handlers in call order; handlers that persist again
    /// start another round. Runs inside RunTask, so awaits resume on this actor and other messages wait.
    /// </summary>
    private async Task FlushPendingAsync()
    {
        var extension = Extension;
        var journal = Journal;
        var persistenceId = PersistenceId;
        _phase = Phase.Writing;
        while (_pending.Count > 0 && _phase is Phase.Writing)
        {
            var round = _pending.ToArray();
            _pending.Clear();
            var writes = Prepare(round, extension, persistenceId);
            if (writes.Count > 0)
            {
                try
                {
                    // ConfigureAwait(true): the handlers below must run on this actor.
                    await journal.WriteAsync(writes).ConfigureAwait(true);
                }
                catch (Exception e)
                {
                    var first = Array.Find(round, i => i.FirstSequenceNr > 0)!;
                    var failure = new PersistFailedException(persistenceId, first.FirstSequenceNr, first.Events[0].GetType(), e);
                    try
                    {
                        OnPersistFailure(failure, first.Events[0], first.FirstSequenceNr);
                    }
                    finally
                    {
                        StopAfterFailure();
                    }

                    return;
                }
            }

            foreach (var invocation in round)
            {
                if (invocation.Rejected)
                {
                    continue;
                }

                for (var i = 0; i < invocation.Events.Count; i++)
                {
                    if (invocation.Written)
                    {
                        LastSequenceNr = invocation.FirstSequenceNr + i;
                    }

                    invocation.Handler(invocation.Events[i]);
                    if (_phase is not Phase.Writing)
                    {
                        // A handler stopped the actor or failed it; the rest is not run.
                        return;
                    }
                }
            }
        }

        if (_phase is Phase.Writing)
        {
            _phase = Phase.Running;
        }
    }

    /// <summary>Serializes and numbers the events of one round; refused ones are reported and left out.</summary>
    private List<AtomicWrite> Prepare(Invocation[] round, PersistenceExtension extension, string persistenceId)
    {
        var writes = new List<AtomicWrite>();
        var next = LastSequenceNr + 1;
        foreach (var invocation in round)
        {
            if (!invocation.Written)
            {
                continue;
            }

            var events = new List<PersistentEvent>(invocation.Events.Count);
            try
            {
                for (var i = 0; i < invocation.Events.Count; i++)
                {
                    var serialized = extension.Serialization.Serialize(invocation.Events[i]);
                    if (serialized.Payload.Length > extension.Settings.MaxEventBytes)
                    {
                        throw new SerializationException(
                            $"{invocation.Events[i].GetType().Name} serializes to {serialized.Payload.Length} bytes, more than akkaraft.persistence.journal.max-event-bytes ({extension.Settings.MaxEventBytes}).");
                    }

                    events.Add(new PersistentEvent(persistenceId, next + i, serialized));
                }
            }
            catch (SerializationException e)
            {
                invocation.Rejected = true;
                OnPersistRejected(e, invocation.Events[0], next);
                continue;
            }

            invocation.FirstSequenceNr = next;
            next += events.Count;
            writes.Add(new AtomicWrite(events));
        }

        return writes;
    }

    private sealed record Invocation(IReadOnlyList<object> Events, Action<object> Handler, bool Written)
    {
        public long FirstSequenceNr { get; set; }

        public bool Rejected { get; set; }
    }
}
