namespace AkkaRaft.Actors.Serialization;

/// <summary>
/// A message could not be turned into bytes or back: no serializer for its type, an unknown serializer id or
/// manifest from the wire or the journal, or a payload that does not parse. The message says which.
/// </summary>
public sealed class SerializationException : Exception
{
    /// <summary>Creates the exception with a message that names the type, serializer id or manifest involved.</summary>
    public SerializationException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with the failure that caused it (for example a protobuf parse error).</summary>
    public SerializationException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
