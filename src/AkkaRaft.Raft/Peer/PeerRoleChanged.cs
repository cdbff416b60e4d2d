namespace AkkaRaft.Raft.Peer;

/// <summary>Published on the actor system's event stream whenever a peer's role or known leader changes.</summary>
/// <param name="NodeId">The peer.</param>
/// <param name="Role">Its new role.</param>
/// <param name="Leader">The leader it knows now (0 = none).</param>
/// <param name="Term">Its term.</param>
public sealed record PeerRoleChanged(ulong NodeId, RaftRole Role, ulong Leader, ulong Term);
