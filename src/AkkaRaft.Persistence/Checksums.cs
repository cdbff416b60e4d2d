using System.Buffers.Binary;
using System.Text;
using AkkaRaft.Actors.Serialization;
using AkkaRaft.Common;
using AkkaRaft.Persistence.Journal;
using AkkaRaft.Persistence.Snapshots;

namespace AkkaRaft.Persistence;

/// <summary>
/// The checksums every plugin stores with a row and verifies when it reads the row back. They cover the row's
/// identity (persistence id, sequence number) as well as its content, so a row copied to the wrong place is
/// caught like a flipped bit. Each variable-length field is preceded by its length so that no two different rows
/// hash the same bytes.
/// </summary>
public static class Checksums
{
    /// <summary>The CRC-32C of one journal event.</summary>
    public static uint ForEvent(string persistenceId, long sequenceNr, int serializerId, string manifest, ReadOnlySpan<byte> payload)
    {
        Span<byte> fixedFields = stackalloc byte[8 + 4];
        BinaryPrimitives.WriteInt64LittleEndian(fixedFields, sequenceNr);
        BinaryPrimitives.WriteInt32LittleEndian(fixedFields[8..], serializerId);
        var crc = AppendString(0, persistenceId);
        crc = Crc32C.Append(crc, fixedFields);
        crc = AppendString(crc, manifest);
        return AppendLengthPrefixed(crc, payload);
    }

    /// <summary>The CRC-32C of one snapshot.</summary>
    public static uint ForSnapshot(
        string persistenceId, long sequenceNr, long timestampUnixMs, int serializerId, string manifest, ReadOnlySpan<byte> payload)
    {
        Span<byte> fixedFields = stackalloc byte[8 + 8 + 4];
        BinaryPrimitives.WriteInt64LittleEndian(fixedFields, sequenceNr);
        BinaryPrimitives.WriteInt64LittleEndian(fixedFields[8..], timestampUnixMs);
        BinaryPrimitives.WriteInt32LittleEndian(fixedFields[16..], serializerId);
        var crc = AppendString(0, persistenceId);
        crc = Crc32C.Append(crc, fixedFields);
        crc = AppendString(crc, manifest);
        return AppendLengthPrefixed(crc, payload);
    }

    /// <summary>
    /// Checks a journal row read back from storage against the checksum stored with it, and returns its event.
    /// Every plugin reads through this, so a corrupt row is reported the same way whatever holds it.
    /// </summary>
    /// <param name="storedCrc">The stored checksum as the storage returns it (SQL integer columns are 64-bit).</param>
    /// <exception cref="JournalCorruptedException">The stored value is no CRC32C, or it does not match the row.</exception>
    public static PersistentEvent VerifiedEvent(
        string pluginId, string persistenceId, long sequenceNr, int serializerId, string manifest, byte[] payload, long storedCrc)
    {
        var computed = ForEvent(persistenceId, sequenceNr, serializerId, manifest, payload);
        if (Mismatch(storedCrc, computed) is { } detail)
        {
            throw new JournalCorruptedException(pluginId, persistenceId, sequenceNr, detail);
        }

        return new PersistentEvent(persistenceId, sequenceNr, new SerializedMessage(serializerId, manifest, payload));
    }

    /// <summary>Checks a snapshot read back from storage against its stored checksum, and returns it.</summary>
    /// <exception cref="SnapshotCorruptedException">The stored value is no CRC32C, or it does not match the snapshot.</exception>
    public static SelectedSnapshot VerifiedSnapshot(
        string pluginId, string persistenceId, long sequenceNr, long timestampUnixMs, int serializerId, string manifest, byte[] payload,
        long storedCrc)
    {
        var computed = ForSnapshot(persistenceId, sequenceNr, timestampUnixMs, serializerId, manifest, payload);
        if (Mismatch(storedCrc, computed) is { } detail)
        {
            throw new SnapshotCorruptedException(pluginId, persistenceId, sequenceNr, detail);
        }

        var metadata = new SnapshotMetadata(persistenceId, sequenceNr, DateTimeOffset.FromUnixTimeMilliseconds(timestampUnixMs));
        return new SelectedSnapshot(metadata, new SerializedMessage(serializerId, manifest, payload));
    }

    private static string? Mismatch(long stored, uint computed) =>
        stored is < 0 or > uint.MaxValue ? $"the stored checksum {stored} is not a CRC32C"
        : (uint)stored != computed ? $"stored CRC32C 0x{stored:X8}, computed 0x{computed:X8}"
        : null;

    private static uint AppendString(uint crc, string value)
    {
        var byteCount = Encoding.UTF8.GetByteCount(value);
        if (byteCount <= 512)
        {
            Span<byte> buffer = stackalloc byte[byteCount];
            Encoding.UTF8.GetBytes(value, buffer);
            return AppendLengthPrefixed(crc, buffer);
        }

        return AppendLengthPrefixed(crc, Encoding.UTF8.GetBytes(value));
    }

    private static uint AppendLengthPrefixed(uint crc, ReadOnlySpan<byte> bytes)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
        return Crc32C.Append(Crc32C.Append(crc, length), bytes);
    }
}
