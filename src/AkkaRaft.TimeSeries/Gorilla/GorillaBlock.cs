using System.Buffers.Binary;
using AkkaRaft.Common;

namespace AkkaRaft.TimeSeries.Gorilla;

/// <summary>
/// A finished Gorilla block: immutable, self-describing bytes (format, unit, header, points, then a footer with the
/// point count and a CRC-32C). Made by <see cref="GorillaEncoder.Finish"/> or read back with <see cref="Open"/>.
/// </summary>
/// <remarks>
/// Layout (version 1, bit fields most-significant bit first):
/// <code>
/// format       8 bits   high nibble version (1), low nibble unit (0 seconds, 1 milliseconds)
/// header      32 bits   seconds (uint32) or 64 bits milliseconds: the window start, the paper's t−1
/// first point 14 bits   (24 in ms) first timestamp − header; then 64 bits: the first value's IEEE-754 bits
/// later points          delta-of-delta '0' | '10' w1 | '110' w2 | '1110' w3 | '1111' w4 (see TimestampCoding),
///                       then value '0' (same) | '10' meaningful bits in the previous window |
///                       '11' leading:5 length:6 meaningful bits (length 64 written as 0)
/// padding      0-7 zero bits to a byte boundary
/// footer       count: 2 bytes big-endian; CRC-32C of all bytes before it: 4 bytes big-endian
/// </code>
/// </remarks>
public sealed class GorillaBlock
{
    private readonly byte[] _bytes;
    private readonly int _streamBytes;

    internal GorillaBlock(byte[] bytes, TimestampUnit unit, long headerTimestamp, int count, int streamBytes)
    {
        _bytes = bytes;
        Unit = unit;
        HeaderTimestamp = headerTimestamp;
        Count = count;
        _streamBytes = streamBytes;
    }

    /// <summary>The block's bytes, exactly as stored or sent; never changes.</summary>
    public ReadOnlyMemory<byte> Bytes => _bytes;

    /// <summary>Size of the block in bytes, footer included.</summary>
    public int SizeBytes => _bytes.Length;

    /// <summary>Unit of the block's timestamps.</summary>
    public TimestampUnit Unit { get; }

    /// <summary>The header timestamp: the start of the window the block is aligned to.</summary>
    public long HeaderTimestamp { get; }

    /// <summary>Number of points, from the footer.</summary>
    public int Count { get; }

    /// <summary>Timestamp of the first point (read from the header and the first delta, without decoding the rest).</summary>
    /// <exception cref="InvalidOperationException">The block is empty.</exception>
    public long FirstTimestamp
    {
        get
        {
            if (Count == 0)
            {
                throw new InvalidOperationException("An empty block has no first timestamp.");
            }

            int offsetBits = BlockFormat.FormatBits + TimestampCoding.HeaderBits(Unit);
            int width = TimestampCoding.FirstDeltaBits(Unit);
            ulong window = BinaryPrimitives.ReadUInt64BigEndian(_bytes.AsSpan(offsetBits / 8, 8));
            return HeaderTimestamp + (long)(window >> (64 - width));
        }
    }

    /// <summary>
    /// Checks and copies <paramref name="bytes"/> into a block: length, format byte, checksum, and that the count fits
    /// the bit stream.
    /// </summary>
    /// <exception cref="CorruptBlockException">The bytes are not an intact block; the message says which check failed.</exception>
    public static GorillaBlock Open(ReadOnlySpan<byte> bytes)
    {
        const int smallest = 1 + 4 + BlockFormat.FooterBytes;
        if (bytes.Length < smallest)
        {
            throw new CorruptBlockException(
                $"A Gorilla block is at least {smallest} bytes (format, header, footer); got {bytes.Length}.");
        }

        int checkedLength = bytes.Length - 4;
        uint stored = BinaryPrimitives.ReadUInt32BigEndian(bytes[checkedLength..]);
        uint computed = Crc32C.Compute(bytes[..checkedLength]);
        if (stored != computed)
        {
            throw new CorruptBlockException(
                $"Gorilla block checksum mismatch: the footer says CRC-32C 0x{stored:X8}, the {checkedLength} bytes before it give 0x{computed:X8}.");
        }

        byte format = bytes[0];
        int version = format >> 4;
        if (version != BlockFormat.Version)
        {
            throw new CorruptBlockException($"Gorilla block format version {version} is unknown; this codec reads version {BlockFormat.Version}.");
        }

        int unitCode = format & 0x0F;
        if (unitCode > (int)TimestampUnit.Milliseconds)
        {
            throw new CorruptBlockException($"Gorilla block timestamp unit {unitCode} is unknown (0 seconds, 1 milliseconds).");
        }

        var unit = (TimestampUnit)unitCode;
        if (bytes.Length < BlockFormat.MinimumBytes(unit))
        {
            throw new CorruptBlockException(
                $"A Gorilla block in {unit} is at least {BlockFormat.MinimumBytes(unit)} bytes; got {bytes.Length}.");
        }

        int streamBytes = bytes.Length - BlockFormat.FooterBytes;
        int count = BinaryPrimitives.ReadUInt16BigEndian(bytes.Slice(streamBytes, 2));
        long header = unit == TimestampUnit.Seconds
            ? BinaryPrimitives.ReadUInt32BigEndian(bytes.Slice(1, 4))
            : BinaryPrimitives.ReadInt64BigEndian(bytes.Slice(1, 8));
        if (header < 0)
        {
            throw new CorruptBlockException($"Gorilla block header timestamp {header} ms is negative.");
        }

        long headerBits = BlockFormat.FormatBits + TimestampCoding.HeaderBits(unit);
        long leastBits = count == 0
            ? headerBits
            : headerBits + TimestampCoding.FirstDeltaBits(unit) + 64 + (2L * (count - 1));
        if (leastBits > streamBytes * 8L)
        {
            throw new CorruptBlockException(
                $"Gorilla block footer claims {count} points, which need at least {leastBits} bits; the stream has {streamBytes * 8L}.");
        }

        return new GorillaBlock(bytes.ToArray(), unit, header, count, streamBytes);
    }

    /// <summary>A decoder positioned before the first point.</summary>
    public GorillaDecoder GetDecoder() =>
        new(new ReadOnlySpan<byte>(_bytes), _streamBytes * 8L, Count, Unit, requireCleanEnd: true);

    /// <summary>
    /// Decodes every point into the two spans, which must each hold at least <see cref="Count"/> elements.
    /// Returns <see cref="Count"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than <see cref="Count"/>.</exception>
    public int Decode(Span<long> timestamps, Span<double> values)
    {
        if (timestamps.Length < Count || values.Length < Count)
        {
            throw new ArgumentException(
                $"Decoding a block of {Count} points needs spans of at least {Count}; got {timestamps.Length} timestamps and {values.Length} values.");
        }

        return GetDecoder().DecodeAll(timestamps, values);
    }
}
