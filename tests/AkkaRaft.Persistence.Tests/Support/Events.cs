using System.Text;
using AkkaRaft.Actors.Serialization;
using AkkaRaft.Persistence.Journal;

namespace AkkaRaft.Persistence.Tests.Support;

/// <summary>Builds journal events whose payload says which persistence id and sequence number they belong to.</summary>
internal static class Events
{
    public static PersistentEvent Event(string persistenceId, long sequenceNr) =>
        new(persistenceId, sequenceNr, new SerializedMessage(BytesSerializer.Id, BytesSerializer.ArrayManifest, PayloadOf(persistenceId, sequenceNr)));

    public static AtomicWrite Write(string persistenceId, long from, long to)
    {
        var events = new List<PersistentEvent>();
        for (var sequenceNr = from; sequenceNr <= to; sequenceNr++)
        {
            events.Add(Event(persistenceId, sequenceNr));
        }

        return new AtomicWrite(events);
    }

    /// <summary>A payload of varying length (so rows differ in size) that encodes its own position.</summary>
    public static byte[] PayloadOf(string persistenceId, long sequenceNr)
    {
        var text = new StringBuilder($"{persistenceId}#{sequenceNr}#");
        text.Append('x', (int)(sequenceNr % 37));
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    public static string UniqueId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    public static async Task<List<PersistentEvent>> ReplayAll(
        IJournal journal, string persistenceId, long from = 1, long to = long.MaxValue, long max = long.MaxValue)
    {
        var events = new List<PersistentEvent>();
        await foreach (var e in journal.ReplayAsync(persistenceId, from, to, max))
        {
            events.Add(e);
        }

        return events;
    }
}
