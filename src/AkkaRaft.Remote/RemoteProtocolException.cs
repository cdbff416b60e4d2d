namespace AkkaRaft.Remote;

/// <summary>Why a remoting connection was closed. Each reason has its own counter in <see cref="RemoteMetrics"/>.</summary>
public enum CloseReason
{
    /// <summary>The peer closed the connection cleanly between frames.</summary>
    PeerClosed,
    /// <summary>This system is shutting down.</summary>
    Shutdown,
    /// <summary>Bytes that do not decode as a frame (bad protobuf, no body, zero length).</summary>
    MalformedFrame,
    /// <summary>A length prefix larger than <c>maximum-frame-size-bytes</c>.</summary>
    FrameTooLarge,
    /// <summary>The stream ended in the middle of a frame.</summary>
    TruncatedFrame,
    /// <summary>The peer failed the cluster-secret challenge, or sent something other than the expected handshake frame.</summary>
    HandshakeFailed,
    /// <summary>The peer did not complete the handshake within <c>handshake-timeout</c> (for example a silent client).</summary>
    HandshakeTimeout,
    /// <summary>TLS negotiation or certificate validation failed.</summary>
    TlsFailed,
    /// <summary>An envelope named a serializer id or manifest this system has not registered, or its payload did not decode.</summary>
    UnknownMessage,
    /// <summary>A well-formed frame that is not allowed here (for example bulk frames on a message connection).</summary>
    ProtocolViolation,
    /// <summary>A second connection between the same two systems; the one dialled by the lower address is kept.</summary>
    Duplicate,
    /// <summary>A newer connection from the same system replaced this one.</summary>
    Replaced,
    /// <summary>The inbound connection limit was reached.</summary>
    TooManyConnections,
    /// <summary>A socket error or reset.</summary>
    IoError,
    /// <summary>A bulk transfer ended before its last byte; the receiver keeps the partial file so the sender can resume.</summary>
    BulkIncomplete,
    /// <summary>A bulk transfer was refused (bad name, too large) or its checksum did not match.</summary>
    BulkRejected,
}

/// <summary>
/// Bad input from a remote peer. Thrown inside the transport (and by frame handlers) to close exactly one connection
/// with one logged reason; never escapes to the rest of the process.
/// </summary>
public sealed class RemoteProtocolException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RemoteProtocolException(CloseReason reason, string message, Exception? inner = null) : base(message, inner) =>
        Reason = reason;

    /// <summary>Why the connection must be closed.</summary>
    public CloseReason Reason { get; }
}
