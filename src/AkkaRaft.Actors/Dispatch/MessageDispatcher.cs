namespace AkkaRaft.Actors.Dispatch;

/// <summary>Runs mailboxes: decides on which thread, and in which order.</summary>
internal abstract class MessageDispatcher(string id, int throughput)
{
    /// <summary>The id actors select it by.</summary>
    public string Id { get; } = id;

    /// <summary>User messages a mailbox processes per turn.</summary>
    public int Throughput { get; } = throughput;

    /// <summary>Called for every user message delivered, before the actor sees it (the simulation's trace); null when off.</summary>
    public virtual Action<IActorRef, object, IActorRef?>? Tracer => null;

    /// <summary>Arranges for <paramref name="mailbox"/> to run once. Called only by the thread holding its scheduled flag.</summary>
    public abstract void Execute(Mailbox mailbox);
}

/// <summary>
/// The default dispatcher: each scheduled mailbox is one work item on the .NET thread pool. No thread per actor; the
/// mailbox implements <see cref="IThreadPoolWorkItem"/> so scheduling allocates nothing.
/// </summary>
internal sealed class ThreadPoolDispatcher(string id, int throughput) : MessageDispatcher(id, throughput)
{
    public override void Execute(Mailbox mailbox) => ThreadPool.UnsafeQueueUserWorkItem(mailbox, preferLocal: false);
}
