namespace AkkaRaft.Persistence.Journal;

/// <summary>
/// A stored event failed its checksum, or could not be read at all. Recovery stops here: a corrupted row never
/// replays silently. <see cref="PersistenceId"/> and <see cref="SequenceNr"/> say which row.
/// </summary>
public sealed class JournalCorruptedException : Exception
{
    /// <summary>Creates the exception for the row of <paramref name="persistenceId"/> at <paramref name="sequenceNr"/>.</summary>
    public JournalCorruptedException(string pluginId, string persistenceId, long sequenceNr, string detail, Exception? innerException = null)
        : base($"The {pluginId} journal holds a corrupted event for persistence id '{persistenceId}' at sequence number {sequenceNr}: {detail}", innerException)
    {
        PersistenceId = persistenceId;
        SequenceNr = sequenceNr;
    }

    /// <summary>The persistence id of the corrupted event.</summary>
    public string PersistenceId { get; }

    /// <summary>The sequence number of the corrupted event.</summary>
    public long SequenceNr { get; }
}

/// <summary>A journal write stored nothing: the message says why (for example a sequence number already taken).</summary>
public sealed class JournalWriteException : Exception
{
    /// <summary>Creates the exception.</summary>
    public JournalWriteException(string message, Exception? innerException = null) : base(message, innerException)
    {
    }
}

/// <summary>
/// A database's persistence schema is not one this version can use (typically written by a newer AkkaRaft).
/// Nothing was changed in the database.
/// </summary>
public sealed class PersistenceSchemaException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PersistenceSchemaException(string message) : base(message)
    {
    }
}
