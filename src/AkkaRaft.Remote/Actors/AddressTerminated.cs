using AkkaRaft.Actors;

namespace AkkaRaft.Remote.Actors;

/// <summary>
/// Published on the actor system's event stream when the failure detector declares a remote system unreachable
/// (no heartbeat answer for <c>unreachable-after</c>). Every watched actor of that system has been reported
/// <see cref="Terminated"/> (with <c>AddressTerminated = true</c>) by then.
/// </summary>
/// <param name="Address">The remote system's address.</param>
public sealed record AddressTerminated(Address Address);
