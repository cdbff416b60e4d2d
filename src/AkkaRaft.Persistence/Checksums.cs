using System.Buffers.Binary;
using System.Text;
using AkkaRaft.Common;

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
