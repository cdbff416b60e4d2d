using System.Buffers.Binary;

namespace AkkaRaft.Client.TimeSeries;

/// <summary>
/// The compact form of one series' points inside an append command (<c>SeriesPoints.packed</c>), so that a batch costs
/// few bytes in the Raft log, on the wire to every follower and in every journal: about 4 to 5 bytes a point on
/// regular timestamps and jittering values, against 13 for a protobuf varint and a double.
/// </summary>
/// <remarks>
/// <para>Layout: the point count (varint), then for each point its timestamp and its value. The first timestamp is a
/// zig-zag varint of itself, the second of its delta, every later one of its delta of deltas (0 for a regular interval:
/// one byte). A value is XORed with the one before it (the first with 0) and written as a control byte, whose high
/// nibble counts the XOR's meaningful bytes and low nibble its trailing zero bytes, then those meaningful bytes, high
/// byte first: 1 byte for a repeated value, 3 or 4 for a small integer that jitters.</para>
/// <para>It is byte-aligned rather than Gorilla's bit stream: the log is not where the store keeps points (the shards
/// re-encode them into their Gorilla blocks), and byte-aligned decoding is cheaper for the three peers that apply it.
/// Points keep the order they were given; the store sorts them.</para>
/// </remarks>
internal static class PointPacking
{
    /// <summary>The fewest bytes a point takes: one for its timestamp, one for its value's control byte.</summary>
    public const int MinBytesPerPoint = 2;

    /// <summary>The most bytes a point takes: a 10-byte varint and a control byte with 8 value bytes.</summary>
    public const int MaxBytesPerPoint = 10 + 1 + 8;

    /// <summary>Packs <paramref name="points"/> into a new array.</summary>
    public static byte[] Pack(IReadOnlyList<TimePoint> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var worst = VarintBytes + ((long)points.Count * MaxBytesPerPoint);
        if (worst > Array.MaxLength) throw new ArgumentException($"{points.Count} points are more than one packing can hold.", nameof(points));
        var buffer = new byte[worst];
        var length = Pack(points, buffer);
        return buffer.AsSpan(0, length).ToArray();
    }

    /// <summary>Packs <paramref name="points"/> into <paramref name="destination"/>; returns the bytes written.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than the worst case (<see cref="MaxBytesPerPoint"/> a point and the count).</exception>
    public static int Pack(IReadOnlyList<TimePoint> points, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (destination.Length < VarintBytes + ((long)points.Count * MaxBytesPerPoint))
        {
            throw new ArgumentException($"Packing {points.Count} points needs up to {VarintBytes + ((long)points.Count * MaxBytesPerPoint)} bytes; the destination has {destination.Length}.", nameof(destination));
        }

        var at = WriteVarint(destination, 0, (ulong)points.Count);
        long previous = 0, delta = 0;
        ulong previousBits = 0;
        for (var i = 0; i < points.Count; i++)
        {
            var point = points[i];
            var t = point.Timestamp;
            // Wrapping arithmetic: any two longs round-trip, as the decoder wraps the same way.
            var written = unchecked(i switch
            {
                0 => t,
                1 => t - previous,
                _ => (t - previous) - delta,
            });
            if (i > 0) delta = unchecked(t - previous);
            previous = t;
            at = WriteVarint(destination, at, ZigZag(written));

            var bits = (ulong)BitConverter.DoubleToInt64Bits(point.Value);
            at = WriteValue(destination, at, bits ^ previousBits);
            previousBits = bits;
        }

        return at;
    }

    /// <summary>How many points <paramref name="packed"/> says it holds, checked against its length (so that a caller may size arrays by it).</summary>
    /// <returns>False when the count cannot be read or is more than the bytes could hold.</returns>
    public static bool TryReadCount(ReadOnlySpan<byte> packed, out int count)
    {
        count = 0;
        if (!TryReadVarint(packed, 0, out var value, out var at)) return false;
        if (value > (ulong)((packed.Length - at) / MinBytesPerPoint)) return false;
        count = (int)value;
        return true;
    }

    /// <summary>
    /// Unpacks <paramref name="packed"/> into <paramref name="points"/>, at least <see cref="TryReadCount"/> long. False when the bytes are not a whole packing (truncated, a varint longer than
    /// 10 bytes or past 64 bits, a control byte whose counts pass 8 bytes, or bytes left over). Every reader decodes
    /// the same bytes to the same points, including encodings the packer never writes (a padded varint, say).
    /// </summary>
    public static bool TryUnpack(ReadOnlySpan<byte> packed, Span<TimePoint> points)
    {
        if (!TryReadCount(packed, out var count)) return false;
        if (points.Length < count) return false;
        TryReadVarint(packed, 0, out _, out var at);
        long previous = 0, delta = 0;
        ulong previousBits = 0;
        for (var i = 0; i < count; i++)
        {
            if (!TryReadVarint(packed, at, out var zigzag, out at)) return false;
            var read = UnZigZag(zigzag);
            long t;
            unchecked
            {
                switch (i)
                {
                    case 0:
                        t = read;
                        break;
                    case 1:
                        delta = read;
                        t = previous + delta;
                        break;
                    default:
                        delta += read;
                        t = previous + delta;
                        break;
                }
            }

            previous = t;

            if (at >= packed.Length) return false;
            var control = packed[at++];
            int meaningful = control >> 4, trailing = control & 0x0F;
            if (meaningful + trailing > 8 || packed.Length - at < meaningful) return false;
            ulong xor = 0;
            for (var b = 0; b < meaningful; b++) xor = (xor << 8) | packed[at++];
            xor <<= 8 * trailing;
            previousBits ^= xor;
            points[i] = new TimePoint(t, BitConverter.Int64BitsToDouble((long)previousBits));
        }

        return at == packed.Length;
    }

    private const int VarintBytes = 10;

    private static int WriteValue(Span<byte> destination, int at, ulong xor)
    {
        if (xor == 0)
        {
            destination[at] = 0;
            return at + 1;
        }

        var trailing = System.Numerics.BitOperations.TrailingZeroCount(xor) / 8;
        var leading = System.Numerics.BitOperations.LeadingZeroCount(xor) / 8;
        var meaningful = 8 - trailing - leading;
        destination[at++] = (byte)((meaningful << 4) | trailing);
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, xor);
        bytes.Slice(leading, meaningful).CopyTo(destination[at..]);
        return at + meaningful;
    }

    private static int WriteVarint(Span<byte> destination, int at, ulong value)
    {
        while (value >= 0x80)
        {
            destination[at++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[at++] = (byte)value;
        return at;
    }

    private static bool TryReadVarint(ReadOnlySpan<byte> source, int at, out ulong value, out int next)
    {
        value = 0;
        next = at;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (next >= source.Length) return false;
            var b = source[next++];
            if (shift == 63 && b > 1) return false;
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return true;
        }

        return false;
    }

    private static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));

    private static long UnZigZag(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);
}
