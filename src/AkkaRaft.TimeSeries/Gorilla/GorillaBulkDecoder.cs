using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace AkkaRaft.TimeSeries.Gorilla;

/// <summary>The decoding state carried from one point to the next (Gorilla §4.1), for the bulk loop.</summary>
internal struct DecoderState
{
    /// <summary>Bit position of the next point's first bit.</summary>
    public int Position;

    /// <summary>Timestamp of the last point read.</summary>
    public long Timestamp;

    /// <summary>Delta of the last point read.</summary>
    public long Delta;

    /// <summary>Bits of the last value read.</summary>
    public ulong ValueBits;

    /// <summary>Trailing zeros of the current value window.</summary>
    public int WindowTrailing;

    /// <summary>Meaningful bits of the current value window; 0 before the first '11'.</summary>
    public int WindowMeaningful;
}

/// <summary>
/// The bulk decoding loop behind <see cref="GorillaDecoder.DecodeAll"/> and the decoder's read-ahead: points after
/// the first, written to two spans, with the state in registers.
/// </summary>
/// <remarks>
/// <para>
/// One point's length depends on its own bits (the timestamp prefix, the value's control bits and, for '11', its
/// length field), so decoding is a chain from each point's position to the next, and the speed is the latency of
/// that chain. The loop keeps it short:
/// </para>
/// <list type="bullet">
/// <item>The next bits sit in a 128-bit window held in two registers: <c>hi</c>, the 64 bits at the position, and
/// <c>lo</c>, the next 57. Moving past a point of L bits is a funnel shift of the window (two cycles), and the load
/// that refills <c>lo</c> runs a point ahead, off the chain. A point longer than 57 bits (a wide '11' value)
/// reloads both words instead.</item>
/// <item>A '0' timestamp (delta-of-delta 0, nearly every point of regular series) is a predicted branch; the
/// others count the prefix ones with one LZCNT.</item>
/// <item>A '0' value and a '10' value are told apart by arithmetic, not a branch: whether a value repeats is as
/// random as the data, so a branch would be mispredicted on many real series. A '11' value (a new window), rare
/// once a series' window has settled, takes a branch.</item>
/// <item>Loads are not bounds-checked in the loop: it runs while the window stays inside the bytes (16 bytes before
/// their end) and stops there; the last points are decoded by the same loop from a zero-padded copy of the tail.</item>
/// </list>
/// <para>
/// Every point's end is checked against the stream length and every value code against what the encoder can
/// write, so corrupt bytes end in <see cref="CorruptBlockException"/>, never in a wild read or wrong points.
/// </para>
/// </remarks>
internal static class GorillaBulkDecoder
{
    /// <summary>Bytes a point's window may read from its position's byte on: 8 for <c>hi</c>, 8 for <c>lo</c>.</summary>
    private const int WindowBytes = 16;

    /// <summary>The tail buffer: at most <see cref="WindowBytes"/> bytes of stream, plus room for every load.</summary>
    private const int TailBytes = 64;

    /// <summary>Windows of the stream at or above this start with a '11' value code.</summary>
    private const ulong NewWindowCode = 0xC000_0000_0000_0000UL;

    /// <summary>Outcome of <see cref="Decode"/>.</summary>
    public enum Outcome
    {
        /// <summary>Every requested point was read.</summary>
        Done,

        /// <summary>A point would end past the bit stream.</summary>
        RanPastEnd,

        /// <summary>A value code the encoder never writes ('10' before any window, or a window over 64 bits).</summary>
        Malformed,
    }

    /// <summary>
    /// Decodes points <paramref name="index"/> to <paramref name="count"/> − 1 (all after the block's first) into
    /// the spans from their element 0 on, advancing <paramref name="state"/>. On anything but
    /// <see cref="Outcome.Done"/>, <paramref name="index"/> is the point that failed and <paramref name="state"/>
    /// holds what was read of it (for the message).
    /// </summary>
    public static Outcome Decode(
        ReadOnlySpan<byte> bytes,
        int streamBits,
        int bucketBits,
        ref DecoderState state,
        ref int index,
        int count,
        Span<long> timestamps,
        Span<double> values)
    {
        if (count - index > timestamps.Length || count - index > values.Length)
        {
            throw new ArgumentException($"{count - index} points remain; the spans hold {timestamps.Length} timestamps and {values.Length} values.");
        }

        ref long timestampOut = ref MemoryMarshal.GetReference(timestamps);
        ref double valueOut = ref MemoryMarshal.GetReference(values);
        int first = index;

        // Straight from the bytes while the window fits in them.
        long fastLimit = Math.Min(streamBits, (bytes.Length - (long)WindowBytes) * 8);
        Outcome outcome = Run(
            ref MemoryMarshal.GetReference(bytes), (int)Math.Max(fastLimit, -1), streamBits, bucketBits, ref state, ref index, count,
            ref timestampOut, ref valueOut);
        if (outcome != Outcome.Done || index == count)
        {
            return outcome;
        }

        // The last points: the same loop over a zero-padded copy of the bytes from the position's byte on (at most
        // WindowBytes of them, since the loop above only stops early within WindowBytes of the end).
        if (state.Position > streamBits)
        {
            return Outcome.RanPastEnd;
        }

        int startByte = state.Position >> 3;
        Span<byte> tail = stackalloc byte[TailBytes];
        tail.Clear();
        ReadOnlySpan<byte> rest = bytes[startByte..];
        if (rest.Length > WindowBytes)
        {
            rest = rest[..WindowBytes];
        }

        rest.CopyTo(tail);
        int shift = startByte * 8;
        int tailStreamBits = Math.Min(streamBits - shift, WindowBytes * 8);
        state.Position -= shift;
        outcome = Run(
            ref MemoryMarshal.GetReference(tail), tailStreamBits, tailStreamBits, bucketBits, ref state, ref index, count,
            ref Unsafe.Add(ref timestampOut, index - first), ref Unsafe.Add(ref valueOut, index - first));
        state.Position += shift;
        return outcome == Outcome.Done && index < count ? Outcome.RanPastEnd : outcome;
    }

    /// <summary>
    /// The loop: reads points while <paramref name="index"/> &lt; <paramref name="count"/> and each point starts at
    /// or before <paramref name="limit"/> (at most <paramref name="streamBits"/>), which must leave
    /// <see cref="WindowBytes"/> readable bytes from the byte of any position up to it. Returns
    /// <see cref="Outcome.Done"/> when it stopped at the limit or the count; every point read ends at or before
    /// <paramref name="streamBits"/>.
    /// </summary>
    private static Outcome Run(
        ref byte data,
        int limit,
        int streamBits,
        int bucketBits,
        ref DecoderState state,
        ref int index,
        int count,
        ref long timestampOut,
        ref double valueOut)
    {
        int i = index;
        int position = state.Position;
        if (i >= count || position > limit)
        {
            return Outcome.Done;
        }

        long timestamp = state.Timestamp;
        long delta = state.Delta;
        ulong valueBits = state.ValueBits;
        int windowTrailing = state.WindowTrailing;
        int windowMeaningful = state.WindowMeaningful;
        ulong hi = Load64(ref data, position);
        ulong lo = Load57(ref data, position + 64);
        Outcome outcome = Outcome.Done;
        while (true)
        {
            // Timestamp (Gorilla §4.1.1): '0', or '10', '110', '1110', '1111' and a field.
            int used;
            if ((long)hi >= 0)
            {
                used = 1;
            }
            else
            {
                int ones = BitOperations.LeadingZeroCount(~hi);
                ones = ones > 4 ? 4 : ones;
                int prefix = ones == 4 ? 4 : ones + 1;
                int width = (bucketBits >> ((ones - 1) * 8)) & 0xFF;
                ulong field = (hi << prefix) >> (64 - width);
                ulong half = 1UL << (width - 1);

                // A field above 2^(w−1) is negative: v − 2^w (TimestampCoding).
                delta += field > half ? (long)field - (long)(half << 1) : (long)field;
                used = prefix + width;
            }

            // Value (Gorilla §4.1.2): '0' same, '10' XOR in the current window, '11' + 5 bits of leading zeros
            // + 6 bits of length (0 read as 64) + a new window. At most 36 + 13 bits from hi, all valid.
            ulong v = hi << used;
            long hasBits = (long)v >> 63; // all ones for '10' and '11', 0 for '0'
            int header;
            int length;
            int rest;
            if (v >= NewWindowCode)
            {
                // '11': rare on most series once the window has settled, so a branch that is mostly predicted.
                int leading = (int)(v >> 57) & 0x1F;
                windowMeaningful = (((int)(v >> 51) - 1) & 0x3F) + 1;
                windowTrailing = 64 - leading - windowMeaningful;
                if (windowTrailing < 0)
                {
                    outcome = Outcome.Malformed; // a window wider than 64 bits: the encoder never writes it
                    break;
                }

                header = used + 13;
                length = header + windowMeaningful;
                rest = 64 - length;
            }
            else
            {
                // '0' or '10', without a branch: whether a value repeats is as random as the data.
                if ((hasBits & (windowMeaningful - 1)) < 0)
                {
                    outcome = Outcome.Malformed; // '10' before any '11' set the window
                    break;
                }

                // 1 bit for '0', 2 + the window for '10'; 64 − length beside it, so that the shifts by the two
                // do not wait for each other.
                int bitsAfterControlBit = (int)(hasBits & (1 + windowMeaningful));
                header = used + 2;
                length = used + 1 + bitsAfterControlBit;
                rest = 63 - used - bitsAfterControlBit;
            }

            // The XOR's meaningful bits: the 64 bits after the header (at most 49 bits in, so inside hi and lo's
            // valid bits), their top windowMeaningful bits; none for '0'.
            ulong bits = (hi << header) | (lo >> (64 - header));
            ulong xor = (bits >> (64 - windowMeaningful)) & (ulong)hasBits;
            valueBits ^= xor << windowTrailing;
            timestamp += delta;
            timestampOut = timestamp;
            valueOut = BitConverter.UInt64BitsToDouble(valueBits);
            timestampOut = ref Unsafe.Add(ref timestampOut, 1);
            valueOut = ref Unsafe.Add(ref valueOut, 1);

            position += length;
            if (position > limit)
            {
                // Past the fast region: stop, or the point ran past the end of the stream (limit ≤ streamBits).
                if (position > streamBits)
                {
                    outcome = Outcome.RanPastEnd;
                    break;
                }

                i++;
                break;
            }

            if (++i >= count)
            {
                break;
            }

            // Move the window past the point: a funnel shift while lo holds the bits (length ≤ 57), else a reload.
            hi = length <= 57 ? (hi << length) | (lo >> rest) : Load64(ref data, position);
            lo = Load57(ref data, position + 64);
        }

        state.Position = position;
        state.Timestamp = timestamp;
        state.Delta = delta;
        state.ValueBits = valueBits;
        state.WindowTrailing = windowTrailing;
        state.WindowMeaningful = windowMeaningful;
        index = i;
        return outcome;
    }

    /// <summary>The 64 bits from bit <paramref name="position"/>: reads 9 bytes from its byte on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Load64(ref byte data, int position)
    {
        ref byte at = ref Unsafe.Add(ref data, position >> 3);
        int shift = position & 7;
        return (ReadBigEndian(ref at) << shift) | (uint)(Unsafe.Add(ref at, 8) >> (8 - shift));
    }

    /// <summary>64 bits from bit <paramref name="position"/> of which the top 57 are real: reads 8 bytes from its byte on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Load57(ref byte data, int position) =>
        ReadBigEndian(ref Unsafe.Add(ref data, position >> 3)) << (position & 7);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ReadBigEndian(ref byte at)
    {
        ulong word = Unsafe.ReadUnaligned<ulong>(ref at);
        return BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(word) : word;
    }
}
