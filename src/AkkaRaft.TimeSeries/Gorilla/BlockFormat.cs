namespace AkkaRaft.TimeSeries.Gorilla;

/// <summary>
/// Layout of a block, version 1. All multi-bit fields are most-significant bit first.
/// <code>
/// bit stream:
///   format       8 bits   high nibble: version (1); low nibble: TimestampUnit (0 seconds, 1 milliseconds)
///   header      32 bits   (seconds, uint32) or 64 bits (milliseconds, int64): the window start, Gorilla's t−1
///   first point 14 bits   (24 in ms) first timestamp − header, unsigned
///               64 bits   first value, the raw IEEE-754 bits
///   each later  '0' | '10' w1 | '110' w2 | '1110' w3 | '1111' w4     delta-of-delta (TimestampCoding)
///   point       '0' | '10' bits | '11' lead:5 len:6 bits             value XOR previous (Gorilla §4.1.2)
///   padding     0 to 7 zero bits up to a byte boundary
/// footer (bytes):
///   count        2 bytes  big-endian uint16: number of points
///   checksum     4 bytes  big-endian CRC-32C of every byte before it
/// </code>
/// </summary>
internal static class BlockFormat
{
    public const int Version = 1;

    public const int FooterBytes = 6;

    public const int FormatBits = 8;

    /// <summary>Widest point: '1111' + 32 bits of timestamp, '11' + 5 + 6 + 64 bits of value.</summary>
    public const int MaxBitsPerPoint = 4 + 32 + 2 + 5 + 6 + 64;

    /// <summary>The XOR window field "length" is 6 bits; 64 does not fit, so 0 (never a real length) stands for it.</summary>
    public const int LengthFieldBits = 6;

    /// <summary>Leading zeros are 5 bits; a count above 31 is stored as 31 and the extra zeros become meaningful bits.</summary>
    public const int LeadingFieldBits = 5;

    public const int LeadingZerosMax = (1 << LeadingFieldBits) - 1;

    public static byte FormatByte(TimestampUnit unit) => (byte)((Version << 4) | (int)unit);

    public static int MinimumBytes(TimestampUnit unit) =>
        ((FormatBits + TimestampCoding.HeaderBits(unit)) / 8) + FooterBytes;
}
