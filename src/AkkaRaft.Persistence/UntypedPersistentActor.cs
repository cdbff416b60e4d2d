namespace AkkaRaft.Persistence;

/// <summary>A persistent actor that handles every recovery message in <see cref="OnRecover"/> and every command in <see cref="OnCommand"/>.</summary>
public abstract class UntypedPersistentActor : PersistentActor
{
    /// <summary>Handles a <see cref="SnapshotOffer"/>, a replayed event, or <see cref="RecoveryCompleted"/>.</summary>
    protected abstract void OnRecover(object message);

    /// <summary>Handles a command; call <c>Unhandled(message)</c> for commands it does not know.</summary>
    protected abstract void OnCommand(object message);

    /// <inheritdoc />
    protected sealed override bool ReceiveRecover(object message)
    {
        OnRecover(message);
        return true;
    }

    /// <inheritdoc />
    protected sealed override bool ReceiveCommand(object message)
    {
        OnCommand(message);
        return true;
    }
}
