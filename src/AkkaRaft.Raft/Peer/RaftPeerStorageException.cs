namespace AkkaRaft.Raft.Peer;

/// <summary>A RaftPeer could not write its journal or snapshot; it fails and its supervisor restarts it from the journal.</summary>
public sealed class RaftPeerStorageException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RaftPeerStorageException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
