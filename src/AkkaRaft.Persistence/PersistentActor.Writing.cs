using AkkaRaft.Actors;
using AkkaRaft.Actors.Serialization;
using AkkaRaft.Persistence.Journal;

namespace AkkaRaft.Persistence;

public abstract partial class PersistentActor
{
    // Persist, PersistAsync and Defer calls of the handler being run, in call order.
    private readonly List<Invocation> _pending = new();

    // Calls waiting for the journal, in call order: written by the next round.
    private readonly List<Invocation> _queued = new();

    // The asynchronous round being written (at most one per actor), or null.
    private AsyncRound? _inFlight;

    // The highest sequence number given to an event, written or being written.
    private long _highestAssignedSequenceNr;

    /// <summary>
    /// Persists <paramref name="event"/> and, once the journal says it is durable, runs <paramref name="handler"/> with it
    /// (with <c>Sender</c> still the sender of the command). Commands wait until then. Call it from a command handler,
    /// from another persist handler, or from the <see cref="RecoveryCompleted"/> handler.
    /// </summary>
    /// <exception cref="InvalidOperationException">Called during replay or outside message handling.</exception>
    protected void Persist<TEvent>(TEvent @event, Action<TEvent> handler) =>
        Enqueue(nameof(Persist), [@event ?? throw new ArgumentNullException(nameof(@event))], handler, written: true, holdsCommands: true);

    /// <summary>
    /// Persists <paramref name="events"/> as ONE atomic journal write (all or none), then runs <paramref name="handler"/>
    /// for each, in order. Commands wait until then. An empty sequence writes nothing and runs nothing.
    /// </summary>
    /// <exception cref="InvalidOperationException">Called during replay or outside message handling.</exception>
    protected void PersistAll<TEvent>(IEnumerable<TEvent> events, Action<TEvent> handler) =>
        Enqueue(nameof(PersistAll), ToList(events), handler, written: true, holdsCommands: true);

    /// <summary>
    /// Runs <paramref name="handler"/> with <paramref name="event"/> after the handlers of every Persist call made before
    /// it, without writing anything (for replies that must follow the persisted state). Commands wait until then.
    /// </summary>
    /// <exception cref="InvalidOperationException">Called during replay or outside message handling.</exception>
    protected void Defer<TEvent>(TEvent @event, Action<TEvent> handler) =>
        Enqueue(nameof(Defer), [@event ?? throw new ArgumentNullException(nameof(@event))], handler, written: false, holdsCommands: true);

    /// <summary>
    /// Persists <paramref name="event"/> like <see cref="Persist{TEvent}"/>, but commands go on being handled while it is
    /// written. The handler still runs only once the event is durable, in the order of every persist call of this
    /// actor, with <c>Sender</c> the sender of the command that persisted it.
    /// <para>
    /// An actor has at most one write in flight: events persisted meanwhile are written together in the next one (one
    /// journal call, each PersistAllAsync still atomic), so a busy actor pays one commit for many events. If a write
    /// fails, the actor stops (<see cref="OnPersistFailure"/>) and the handlers of it and of every later event do not run.
    /// </para>
    /// </summary>
    /// <exception cref="InvalidOperationException">Called during replay or outside message handling.</exception>
    protected void PersistAsync<TEvent>(TEvent @event, Action<TEvent> handler) =>
        Enqueue(nameof(PersistAsync), [@event ?? throw new ArgumentNullException(nameof(@event))], handler, written: true, holdsCommands: false);

    /// <summary>
    /// Persists <paramref name="events"/> as ONE atomic journal write, as <see cref="PersistAsync{TEvent}"/> does with one
    /// event: commands are not held meanwhile, and the handlers run in order once the write is durable.
    /// </summary>
    /// <exception cref="InvalidOperationException">Called during replay or outside message handling.</exception>
    protected void PersistAllAsync<TEvent>(IEnumerable<TEvent> events, Action<TEvent> handler) =>
        Enqueue(nameof(PersistAllAsync), ToList(events), handler, written: true, holdsCommands: false);

    /// <summary>
    /// Runs <paramref name="handler"/> with <paramref name="event"/> after the handlers of every persist call made before
    /// it, without writing anything and without holding commands.
    /// </summary>
    /// <exception cref="InvalidOperationException">Called during replay or outside message handling.</exception>
    protected void DeferAsync<TEvent>(TEvent @event, Action<TEvent> handler) =>
        Enqueue(nameof(DeferAsync), [@event ?? throw new ArgumentNullException(nameof(@event))], handler, written: false, holdsCommands: false);

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


    private void Enqueue<TEvent>(string operation, IReadOnlyList<object> events, Action<TEvent> handler, bool written, bool holdsCommands)
    {
        ArgumentNullException.ThrowIfNull(handler);
        EnsureMayPersist(operation);
        if (events.Count > 0)
        {
            _pending.Add(new Invocation(events, e => handler((TEvent)e), written, holdsCommands, Sender));
        }
    }

    private static List<object> ToList<TEvent>(IEnumerable<TEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var list = new List<object>();
        foreach (var e in events)
        {
            list.Add(e ?? throw new ArgumentException("A persist call got a null event.", nameof(events)));
        }

        return list;
    }

    private void EnsureMayPersist(string operation)
    {
        if (_phase is not (Phase.HandlingCommand or Phase.Writing or Phase.CompletingRecovery))
        {
            throw new InvalidOperationException(
                IsRecovering
                    ? $"{operation} was called during recovery of '{PersistenceId}'; recovery handlers only rebuild state (persist from the RecoveryCompleted handler)."
                    : $"{operation} must be called from a command handler (or a persist handler) of '{PersistenceId}', not from {_phase}.");
        }
    }

    /// <summary>After a command handler: queue its persist calls and start writing them.</summary>
    private void AfterCommand()
    {
        _queued.AddRange(_pending);
        _pending.Clear();
        StartWriting();
    }

    /// <summary>
    /// Starts the next round: in <c>RunTask</c> (holding commands) when a queued call holds commands, otherwise as an
    /// asynchronous write, unless one is in flight already (its completion starts the next).
    /// </summary>
    private void StartWriting()
    {
        while (_phase is Phase.Running && _queued.Count > 0)
        {
            if (_queued.Exists(i => i.HoldsCommands))
            {
                _phase = Phase.Writing;
                RunTask(DrainAsync);
                return;
            }

            if (_inFlight is not null)
            {
                return;
            }

            var round = _queued.ToArray();
            _queued.Clear();
            var writes = Prepare(round, Extension, PersistenceId);
            if (writes.Count == 0)
            {
                // Only DeferAsync calls (or refused events): nothing to wait for.
                RunHandlersAsync(round);
                continue;
            }

            var inFlight = new AsyncRound(round, WriteCatchingAsync(Journal, writes));
            _inFlight = inFlight;
            var self = Self;
            inFlight.Write.ContinueWith(
                static (t, state) =>
                {
                    var (round, self) = ((AsyncRound, IActorRef))state!;
                    self.Tell(new AsyncWriteDone(round, t.Result), self);
                },
                (inFlight, self),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    private static async Task<Exception?> WriteCatchingAsync(IJournal journal, List<AtomicWrite> writes)
    {
        try
        {
            await journal.WriteAsync(writes).ConfigureAwait(false);
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    /// <summary>The asynchronous write of <paramref name="done"/> finished: run its handlers and start the next round.</summary>
    private void OnAsyncWriteDone(AsyncWriteDone done)
    {
        if (_phase is not Phase.Running || !ReferenceEquals(done.Round, _inFlight))
        {
            // Already handled by a round that held commands, or left from before a stop.
            return;
        }

        _inFlight = null;
        if (done.Failure is not null)
        {
            Fail(done.Round.Invocations, done.Failure);
            return;
        }

        RunHandlersAsync(done.Round.Invocations);
        StartWriting();
    }

    /// <summary>Runs handlers outside RunTask (commands are not held); their persist calls join the queue.</summary>
    private void RunHandlersAsync(Invocation[] round)
    {
        _phase = Phase.HandlingCommand;
        if (!RunHandlers(round, Phase.HandlingCommand))
        {
            return;
        }

        _phase = Phase.Running;
        _queued.AddRange(_pending);
        _pending.Clear();
    }

    /// <summary>
    /// Writes every queued call, round after round, then runs the handlers in call order; handlers that persist again
    /// start another round. Runs inside RunTask, so awaits resume on this actor and other messages wait.
    /// </summary>
    private async Task DrainAsync()
    {
        _phase = Phase.Writing;
        if (_inFlight is { } inFlight)
        {
            // Earlier asynchronous calls come first: wait for their write and run their handlers here.
            _inFlight = null;
            var failure = await inFlight.Write.ConfigureAwait(true);
            if (failure is not null)
            {
                Fail(inFlight.Invocations, failure);
                return;
            }

            if (!RunHandlers(inFlight.Invocations, Phase.Writing))
            {
                return;
            }

            _queued.AddRange(_pending);
            _pending.Clear();
        }

        var extension = Extension;
        var journal = Journal;
        var persistenceId = PersistenceId;
        while (_queued.Count > 0 && _phase is Phase.Writing)
        {
            var round = _queued.ToArray();
            _queued.Clear();
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
                    Fail(round, e);
                    return;
                }
            }

            if (!RunHandlers(round, Phase.Writing))
            {
                return;
            }

            _queued.AddRange(_pending);
            _pending.Clear();
        }

        if (_phase is Phase.Writing)
        {
            _phase = Phase.Running;
        }
    }

    /// <summary>Runs the handlers of a written round in call order; false when a handler stopped the actor.</summary>
    private bool RunHandlers(Invocation[] round, Phase during)
    {
        foreach (var invocation in round)
        {
            if (invocation.Rejected)
            {
                continue;
            }

            var completed = true;
            WithSender(invocation.Sender, () => completed = RunHandlers(invocation, during));
            if (!completed)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Runs the handler of each event of <paramref name="invocation"/>; false when one stopped the actor.</summary>
    private bool RunHandlers(Invocation invocation, Phase during)
    {
        for (var i = 0; i < invocation.Events.Count; i++)
        {
            if (invocation.Written)
            {
                LastSequenceNr = invocation.FirstSequenceNr + i;
            }

            invocation.Handler(invocation.Events[i]);
            if (_phase != during)
            {
                // A handler stopped the actor; the rest is not run.
                return false;
            }
        }

        return true;
    }

    /// <summary>A write failed: report its first event and stop; no handler of it (or of later calls) runs.</summary>
    private void Fail(Invocation[] round, Exception error)
    {
        var first = Array.Find(round, i => i.FirstSequenceNr > 0)!;
        var failure = new PersistFailedException(PersistenceId, first.FirstSequenceNr, first.Events[0].GetType(), error);
        try
        {
            OnPersistFailure(failure, first.Events[0], first.FirstSequenceNr);
        }
        finally
        {
            StopAfterFailure();
        }
    }

    /// <summary>Serializes and numbers the events of one round; refused ones are reported and left out.</summary>
    private List<AtomicWrite> Prepare(Invocation[] round, PersistenceExtension extension, string persistenceId)
    {
        var writes = new List<AtomicWrite>();
        var next = _highestAssignedSequenceNr + 1;
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

        _highestAssignedSequenceNr = next - 1;
        return writes;
    }

    private sealed record Invocation(IReadOnlyList<object> Events, Action<object> Handler, bool Written, bool HoldsCommands, IActorRef Sender)
    {
        public long FirstSequenceNr { get; set; }

        public bool Rejected { get; set; }
    }

    /// <summary>An asynchronous round: its calls and its journal write (which yields the error, or null).</summary>
    private sealed record AsyncRound(Invocation[] Invocations, Task<Exception?> Write);

    /// <summary>Told to this actor when the write of <paramref name="Round"/> finished.</summary>
    private sealed record AsyncWriteDone(AsyncRound Round, Exception? Failure);
}
