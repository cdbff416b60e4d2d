using System.Collections.Concurrent;

namespace AkkaRaft.Actors.Dispatch;

/// <summary>
/// An actor's mailbox: a lock-free queue of user messages, a queue of system messages, and an atomic status word whose
/// "scheduled" bit guarantees that at most one thread runs the actor at a time. Posting to a mailbox that is already
/// scheduled costs one enqueue and one volatile read; scheduling costs one compare-and-swap and one thread-pool work item
/// (the mailbox itself, so nothing is allocated).
/// </summary>
internal sealed class Mailbox : IThreadPoolWorkItem
{
    private const int Scheduled = 1;
    private const int Closed = 2;

    private readonly ConcurrentQueue<Envelope> _queue = new();
    private readonly ConcurrentQueue<SystemMessage> _system = new();
    private readonly ActorCell _cell;
    private readonly MessageDispatcher _dispatcher;
    private readonly int _capacity;
    private LinkedList<Envelope>? _front;
    private int _count;
    private int _status;

    public Mailbox(ActorCell cell, MessageDispatcher dispatcher, int capacity)
    {
        _cell = cell;
        _dispatcher = dispatcher;
        _capacity = capacity;
    }

    public bool IsClosed => (Volatile.Read(ref _status) & Closed) != 0;

    /// <summary>The capacity in messages, 0 for unbounded.</summary>
    public int Capacity => _capacity;

    /// <summary>Enqueues a user message; to dead letters when the mailbox is closed or full.</summary>
    public void Post(object message, IActorRef? sender)
    {
        if (IsClosed)
        {
            _cell.System.PublishDeadLetter(message, sender, _cell.Self);
            return;
        }
        if (_capacity > 0 && Interlocked.Increment(ref _count) > _capacity)
        {
            Interlocked.Decrement(ref _count);
            _cell.System.PublishMailboxOverflow(message, sender, _cell.Self);
            return;
        }
        _queue.Enqueue(new Envelope(message, sender));
        // The actor may have closed its mailbox between the check above and the enqueue: drain what is left.
        if (IsClosed) DrainUserMessages();
        else TrySchedule();
    }

    /// <summary>Enqueues a system message; handled as "after stop" when the mailbox is closed.</summary>
    public void SendSystem(SystemMessage message)
    {
        _system.Enqueue(message);
        if (IsClosed) DrainSystemMessages();
        else TrySchedule();
    }

    /// <summary>Puts messages back at the front, in the given order (unstash). Actor thread only.</summary>
    public void Prepend(IReadOnlyList<Envelope> envelopes)
    {
        if (envelopes.Count == 0) return;
        _front ??= new LinkedList<Envelope>();
        for (var i = envelopes.Count - 1; i >= 0; i--) _front.AddFirst(envelopes[i]);
    }

    /// <summary>Closes the mailbox (the actor stopped): every queued and later message goes to dead letters. Actor thread only.</summary>
    public void Close()
    {
        Interlocked.Or(ref _status, Closed);
        DrainUserMessages();
        DrainSystemMessages();
    }

    private bool HasUserMessages => (_front is { Count: > 0 }) || !_queue.IsEmpty;

    private void TrySchedule()
    {
        var status = Volatile.Read(ref _status);
        while ((status & (Scheduled | Closed)) == 0)
        {
            var seen = Interlocked.CompareExchange(ref _status, status | Scheduled, status);
            if (seen == status)
            {
                _dispatcher.Execute(this);
                return;
            }
            status = seen;
        }
    }

    void IThreadPoolWorkItem.Execute() => Run();

    /// <summary>One turn: all system messages, then up to <c>throughput</c> user messages (system messages checked between).</summary>
    public void Run()
    {
        var previous = ActorCell.Current;
        ActorCell.Current = _cell;
        var left = _dispatcher.Throughput;
        try
        {
            if (!IsClosed)
            {
                ProcessSystemMessages();
                var tracer = _dispatcher.Tracer;
                while (left > 0 && _cell.CanProcessUserMessages && TryDequeue(out var envelope))
                {
                    tracer?.Invoke(_cell.Self, envelope.Message, envelope.Sender);
                    _cell.Invoke(envelope);
                    left--;
                    if (!_system.IsEmpty) ProcessSystemMessages();
                }
            }
        }
        finally
        {
            ActorCell.Current = previous;
            if (left == 0 && !IsClosed && _cell.CanProcessUserMessages && HasUserMessages)
            {
                // The turn ended on the throughput budget, so more messages are likely waiting: go round again while
                // still holding the scheduled bit (saves clearing it and winning it back).
                _dispatcher.Execute(this);
            }
            else
            {
                Interlocked.And(ref _status, ~Scheduled);
                if (!IsClosed && (!_system.IsEmpty || (_cell.CanProcessUserMessages && HasUserMessages))) TrySchedule();
            }
        }
    }

    private void ProcessSystemMessages()
    {
        while (_system.TryDequeue(out var message))
        {
            _cell.SystemInvoke(message);
            if (IsClosed)
            {
                DrainSystemMessages();
                return;
            }
        }
    }

    private bool TryDequeue(out Envelope envelope)
    {
        if (_front is { Count: > 0 })
        {
            envelope = _front.First!.Value;
            _front.RemoveFirst();
            return true;
        }
        if (_queue.TryDequeue(out envelope))
        {
            if (_capacity > 0) Interlocked.Decrement(ref _count);
            return true;
        }
        return false;
    }

    private void DrainUserMessages()
    {
        // Only the actor's thread touches _front, and only before Close; afterwards any thread may drain the queue.
        var front = _front;
        if (front is not null && ActorCell.Current == _cell)
        {
            _front = null;
            foreach (var e in front) _cell.System.PublishDeadLetter(e.Message, e.Sender, _cell.Self);
        }
        while (_queue.TryDequeue(out var envelope))
        {
            if (_capacity > 0) Interlocked.Decrement(ref _count);
            _cell.System.PublishDeadLetter(envelope.Message, envelope.Sender, _cell.Self);
        }
    }

    private void DrainSystemMessages()
    {
        while (_system.TryDequeue(out var message)) _cell.SystemInvokeAfterStop(message);
    }
}
