using System.Buffers;
using System.Buffers.Binary;
using AkkaRaft.Client.Kv;
using AkkaRaft.Client.Kv.Protocol;
using AkkaRaft.Raft.StateMachines;
using Google.Protobuf;
using AkkaRaft.Common;

namespace AkkaRaft.Kv;

// The snapshot format, version 1 (all integers little-endian):
//
//   "AKVS"           4 bytes   magic
//   version          u32       format version, 1
//   count            u64       number of entries
//   count times:
//     length         u32       length of the entry
//     entry          length    a protobuf KvEntry (key, value, last index, owning session)
//   checksum         u32       CRC-32C of every byte before it
//
// Entries come in strictly ascending ordinal key order, so two replicas in the same state write the same bytes,
// and a restore can tell a duplicate or out-of-order entry from a valid one. The stream holds nothing after the
// checksum. Entries are written and read one at a time: a snapshot never has to fit in one buffer.
public sealed partial class KvStateMachine
{
    /// <summary>The snapshot format version this build writes and reads.</summary>
    public const uint SnapshotFormatVersion = 1;

    private const int HeaderBytes = 16;
    private const int LengthBytes = 4;
    private const int ChecksumBytes = 4;

    // "AKVS" in ASCII.
    private static ReadOnlySpan<byte> SnapshotMagic => [0x41, 0x4B, 0x56, 0x53];

    // Stored keys are checked for what a key may be, not against today's size limits: a snapshot written under
    // larger limits must still restore, as the peers that wrote it hold those keys.
    private static readonly KvSettings StoredKeyRules = new(int.MaxValue, int.MaxValue, 1, 1, 1);

    /// <inheritdoc />
    /// <remarks>Writes the format described at the top of this file: header, the keys in ordinal order, and a
    /// CRC-32C trailer. The same state always gives the same bytes.</remarks>
    public void WriteSnapshot(Stream output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var crc = 0u;
        Span<byte> header = stackalloc byte[HeaderBytes];
        SnapshotMagic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], SnapshotFormatVersion);
        BinaryPrimitives.WriteUInt64LittleEndian(header[8..], (ulong)_items.Count);
        Write(output, header, ref crc);

        var buffer = ArrayPool<byte>.Shared.Rent(1024);
        try
        {
            var written = 0;
            foreach (var key in _order)
            {
                var entry = _items[key].ToEntry(key, withValue: true);
                var size = entry.CalculateSize();
                if (buffer.Length < LengthBytes + size)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(LengthBytes + size);
                }

                BinaryPrimitives.WriteUInt32LittleEndian(buffer, (uint)size);
                entry.WriteTo(buffer.AsSpan(LengthBytes, size));
                Write(output, buffer.AsSpan(0, LengthBytes + size), ref crc);
                written++;
            }

            Invariant(written == _items.Count, $"the ordered index holds {written} keys but the store {_items.Count}");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        Span<byte> trailer = stackalloc byte[ChecksumBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(trailer, crc);
        output.Write(trailer);
    }

    /// <inheritdoc />
    /// <remarks>Checks the magic, the format version, every entry (a valid key in strictly ascending ordinal
    /// order, an index of at least 1), the CRC-32C trailer and that nothing follows it; the store is replaced only
    /// when all of that holds.</remarks>
    public void RestoreSnapshot(Stream input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var reader = new SnapshotReader(input);
        Span<byte> header = stackalloc byte[HeaderBytes];
        reader.ReadExactly(header, "the header");
        if (!header[..4].SequenceEqual(SnapshotMagic))
        {
            throw new InvalidSnapshotException(
                $"The snapshot is not a key/value snapshot: it starts with {Convert.ToHexString(header[..4])}, not the magic 'AKVS'.");
        }

        var version = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        if (version != SnapshotFormatVersion)
        {
            throw new InvalidSnapshotException(
                $"The key/value snapshot has format version {version}; this build reads version {SnapshotFormatVersion}.");
        }

        var count = BinaryPrimitives.ReadUInt64LittleEndian(header[8..]);
        var items = new Dictionary<string, Item>(StringComparer.Ordinal);
        var keys = new List<string>();
        var sessionKeys = new Dictionary<long, SortedSet<string>>();
        Span<byte> lengthBytes = stackalloc byte[LengthBytes];
        string? previous = null;
        for (ulong i = 0; i < count; i++)
        {
            var offset = reader.Offset;
            reader.ReadExactly(lengthBytes, $"the length of entry {i} of {count}");
            var length = BinaryPrimitives.ReadUInt32LittleEndian(lengthBytes);
            if (length > int.MaxValue - LengthBytes)
            {
                throw new InvalidSnapshotException($"Entry {i} of the key/value snapshot, at byte {offset}, claims {length} bytes.");
            }

            var entry = ParseEntry(reader.ReadEntry((int)length, $"entry {i} of {count}"), i, offset);
            if (!KvText.TryDecode(entry.Key, out var key))
            {
                throw new InvalidSnapshotException($"Entry {i} of the key/value snapshot, at byte {offset}, has a key that is not valid UTF-8.");
            }

            if (KvKeys.CheckKey(key, StoredKeyRules, out var problem) != KvStatus.Ok)
            {
                throw new InvalidSnapshotException($"Entry {i} of the key/value snapshot, at byte {offset}, has an invalid key: {problem}");
            }

            if (previous is not null && string.CompareOrdinal(previous, key) >= 0)
            {
                throw new InvalidSnapshotException(
                    $"Entry {i} of the key/value snapshot, at byte {offset}, is out of order: its key is not after the previous key.");
            }

            if (entry.LastIndex == 0)
            {
                throw new InvalidSnapshotException($"Entry {i} of the key/value snapshot, at byte {offset}, has last-modified index 0.");
            }

            items.Add(key, new Item(entry.Value, entry.LastIndex, entry.SessionId));
            keys.Add(key);
            if (entry.SessionId != ApplyContext.NoSession)
            {
                if (!sessionKeys.TryGetValue(entry.SessionId, out var owned))
                {
                    owned = new SortedSet<string>(StringComparer.Ordinal);
                    sessionKeys.Add(entry.SessionId, owned);
                }

                owned.Add(key);
            }

            previous = key;
        }

        var computed = reader.Crc;
        Span<byte> trailer = stackalloc byte[ChecksumBytes];
        reader.ReadExactly(trailer, "the checksum");
        var stored = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
        if (stored != computed)
        {
            throw new InvalidSnapshotException(
                $"The key/value snapshot is corrupt: its checksum is {stored:X8} but its {reader.Offset - ChecksumBytes} bytes give {computed:X8}.");
        }

        if (input.ReadByte() != -1)
        {
            throw new InvalidSnapshotException($"The key/value snapshot has bytes after its checksum, at byte {reader.Offset}.");
        }

        _items = items;
        // The keys are known to be in strictly ascending order, so the set is built at once, not key by key.
        _order = new SortedSet<string>(keys, StringComparer.Ordinal);
        _sessionKeys = sessionKeys;
    }

    private static KvEntry ParseEntry(ReadOnlySpan<byte> bytes, ulong index, long offset)
    {
        try
        {
            return KvEntry.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidSnapshotException($"Entry {index} of the key/value snapshot, at byte {offset}, is not a key/value entry.", e);
        }
    }

    private static void Write(Stream output, ReadOnlySpan<byte> bytes, ref uint crc)
    {
        crc = Crc32C.Append(crc, bytes);
        output.Write(bytes);
    }

    /// <summary>Reads a snapshot stream exactly, counting its offset and its CRC-32C as it goes.</summary>
    private sealed class SnapshotReader(Stream input) : IDisposable
    {
        // How much of an entry is read before its buffer grows: a corrupt length cannot make the restore
        // allocate much more than the stream really holds.
        private const int GrowthStepBytes = 1 << 20;

        public long Offset { get; private set; }

        public uint Crc { get; private set; }

        // The entry buffer, rented from the pool and returned on Dispose.
        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(1024);

        public void Dispose()
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }

        public void ReadExactly(Span<byte> destination, string what)
        {
            var read = input.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false);
            if (read < destination.Length)
            {
                throw Truncated(what, destination.Length, read);
            }

            Crc = Crc32C.Append(Crc, destination);
            Offset += destination.Length;
        }

        /// <summary>Reads the next <paramref name="length"/> bytes; the span is valid until the next read.</summary>
        public ReadOnlySpan<byte> ReadEntry(int length, string what)
        {
            var filled = 0;
            while (filled < length)
            {
                if (filled == _buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(length, (long)_buffer.Length + GrowthStepBytes));
                    _buffer.AsSpan(0, filled).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(_buffer);
                    _buffer = larger;
                }

                var chunk = Math.Min(length, _buffer.Length) - filled;
                var read = input.ReadAtLeast(_buffer.AsSpan(filled, chunk), chunk, throwOnEndOfStream: false);
                filled += read;
                if (read < chunk)
                {
                    throw Truncated(what, length, filled);
                }
            }

            var entry = _buffer.AsSpan(0, length);
            Crc = Crc32C.Append(Crc, entry);
            Offset += length;
            return entry;
        }

        private InvalidSnapshotException Truncated(string what, int wanted, int read) =>
            new($"The key/value snapshot is truncated: {what} at byte {Offset} needs {wanted} bytes, only {read} remain.");
    }
}
