namespace AkkaRaft.Actors;

/// <summary>Marks an actor that stashes messages.</summary>
/// <remarks>The kernel assigns <see cref="Stash"/> right after the actor is constructed, before <c>PreStart</c>.
/// On restart the stashed messages are put back in front of the mailbox; on stop they go to dead letters.</remarks>
public interface IWithStash
{
    /// <summary>The stash of this actor (set by the kernel).</summary>
    IStash Stash { get; set; }
}

/// <summary>
/// Holds messages aside to process them later, bounded by <c>akkaraft.actor.stash-capacity</c>.
/// Use only from the actor's own message handling.
/// </summary>
public interface IStash
{
    /// <summary>The number of stashed messages.</summary>
    int Count { get; }

    /// <summary>Stashes the message being processed (with its sender).</summary>
    /// <exception cref="StashOverflowException">The stash is full.</exception>
    /// <exception cref="IllegalActorStateException">The same message is stashed twice.</exception>
    void Stash();

    /// <summary>Puts the oldest stashed message back at the front of the mailbox.</summary>
    void Unstash();

    /// <summary>Puts all stashed messages back at the front of the mailbox, in the order they were stashed.</summary>
    void UnstashAll();

    /// <summary>Like <see cref="UnstashAll()"/> for the messages <paramref name="predicate"/> accepts; the others stay stashed.</summary>
    void UnstashAll(Func<object, bool> predicate);

    /// <summary>Discards all stashed messages and returns them.</summary>
    IReadOnlyList<object> ClearStash();
}
