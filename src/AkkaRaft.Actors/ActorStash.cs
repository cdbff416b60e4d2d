using AkkaRaft.Actors.Dispatch;

namespace AkkaRaft.Actors;

/// <summary>The kernel's <see cref="IStash"/>: a bounded list of envelopes put back at the front of the mailbox on unstash.</summary>
internal sealed class ActorStash(ActorCell cell, int capacity) : IStash
{
    private readonly List<Envelope> _items = [];

    public int Count => _items.Count;

    public void Stash()
    {
        var current = cell.CurrentEnvelope ?? throw new IllegalActorStateException($"{cell.Self.Path} can only stash while it handles a message");
        if (_items.Count > 0 && ReferenceEquals(_items[^1].Message, current.Message))
            throw new IllegalActorStateException($"{cell.Self.Path} stashed the same message twice: {current.Message}");
        if (_items.Count >= capacity)
            throw new StashOverflowException($"{cell.Self.Path} cannot stash {current.Message.GetType().Name}: the stash holds its capacity of {capacity} messages (akkaraft.actor.stash-capacity)");
        _items.Add(current);
    }

    public void Unstash()
    {
        if (_items.Count == 0) return;
        var first = _items[0];
        _items.RemoveAt(0);
        cell.Mailbox.Prepend([first]);
    }

    public void UnstashAll()
    {
        if (_items.Count == 0) return;
        cell.Mailbox.Prepend(_items.ToArray());
        _items.Clear();
    }

    public void UnstashAll(Func<object, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        var selected = new List<Envelope>();
        var kept = new List<Envelope>();
        foreach (var e in _items) (predicate(e.Message) ? selected : kept).Add(e);
        _items.Clear();
        _items.AddRange(kept);
        cell.Mailbox.Prepend(selected);
    }

    public IReadOnlyList<object> ClearStash()
    {
        var messages = _items.ConvertAll(e => e.Message);
        _items.Clear();
        return messages;
    }

    internal void UnstashAllForRestart() => UnstashAll();

    internal void DrainToDeadLetters()
    {
        foreach (var e in _items) cell.System.PublishDeadLetter(e.Message, e.Sender, cell.Self);
        _items.Clear();
    }
}
