using AkkaRaft.Actors.Serialization;

namespace AkkaRaft.Persistence.Journal;

/// <summary>
/// One journaled event as the journal stores it: the persistence id of the actor that wrote it, its sequence number
/// (1-based, contiguous per persistence id) and its bytes as produced by the <see cref="SerializationRegistry"/>.
/// Journals never see or create the event object itself.
/// </summary>
/// <param name="PersistenceId">The id of the persistent actor the event belongs to.</param>
/// <param name="SequenceNr">The event's position in that actor's journal, from 1.</param>
/// <param name="Payload">Serializer id, manifest and bytes of the event.</param>
public sealed record PersistentEvent(string PersistenceId, long SequenceNr, SerializedMessage Payload)
{
    /// <summary>The stored size of the event in bytes (payload plus manifest), used for batch limits.</summary>
    public int SizeBytes => Payload.Payload.Length + Payload.Manifest.Length;
}
