using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace AkkaRaft.TimeSeries.Gorilla;

/// <summary>
/// Iterates the points of a block in order (Gorilla §4.1): <c>foreach (var p in block.GetDecoder())</c>, or
/// <see cref="MoveNext"/> and <see cref="Current"/>, or <see cref="SeekTo"/> the first point at or after a time.
/// Works on finished blocks (<see cref="GorillaBlock.GetDecoder"/>) and on the bytes of an open one
/// (<see cref="ForOpenBlock"/>). Allocates nothing.
/// </summary>
/// <remarks>
/// Reads go through a 64-bit window loaded big-endian from the byte position and shifted by the bit offset,
/// so each load yields at least 57 valid bits: a whole timestamp code (at most 36 bits) and the value's control
/// bits (at most 13) come from one load. A decoder that would run past the end of the bit stream, or meets a code
/// the encoder never writes, throws <see cref="CorruptBlockException"/> instead of returning wrong points.
/// </remarks>
public ref struct GorillaDecoder
{
    private readonly ReadOnlySpan<byte> _bytes;
    private readonly int _streamBits;
    private readonly int _count;
    private readonly bool _requireCleanEnd;
    private readonly TimestampUnit _unit;
    private readonly int _firstDeltaBits;
    private readonly int _bucketBits; // the four bucket widths, one per byte, '10' bucket lowest

    private int _bitPosition;
    private int _index;
    private long _timestamp;
    private long _delta;
    private ulong _valueBits;
    private int _windowTrailing;
    private int _windowMeaningful;

    internal GorillaDecoder(ReadOnlySpan<byte> bytes, long streamBits, int count, TimestampUnit unit, bool requireCleanEnd)
    {
        if (streamBits > bytes.Length * 8L || streamBits > int.MaxValue)
        {
            throw new CorruptBlockException($"A Gorilla bit stream of {streamBits} bits does not fit {bytes.Length} bytes.");
        }

        _bytes = bytes;
        _streamBits = (int)streamBits;
        _count = count;
        _requireCleanEnd = requireCleanEnd;
        _unit = unit;
        _firstDeltaBits = TimestampCoding.FirstDeltaBits(unit);
        ReadOnlySpan<byte> buckets = TimestampCoding.BucketBits(unit);
        _bucketBits = buckets[0] | (buckets[1] << 8) | (buckets[2] << 16) | (buckets[3] << 24);

        int headerBits = TimestampCoding.HeaderBits(unit);
        _bitPosition = BlockFormat.FormatBits;
        _timestamp = (long)ReadBits(headerBits);
        HeaderTimestamp = _timestamp;
        _index = 0;
        _delta = 0;
        _valueBits = 0;
        _windowTrailing = 0;
        _windowMeaningful = 0;
        Current = default;
    }

    /// <summary>The point the last successful <see cref="MoveNext"/> or <see cref="SeekTo"/> stopped at.</summary>
    public DataPoint Current { get; private set; }

    /// <summary>Unit of the timestamps.</summary>
    public readonly TimestampUnit Unit => _unit;

    /// <summary>The block's header timestamp.</summary>
    public long HeaderTimestamp { get; }

    /// <summary>Number of points in the block (or in the open block's bytes).</summary>
    public readonly int Count => _count;

    /// <summary>Points not yet read.</summary>
    public readonly int Remaining => _count - _index;

    /// <summary>
    /// A decoder over the bytes of a block that is still open (<see cref="GorillaEncoder.BytesSoFar"/>), which has no
    /// footer: the caller supplies the point count (<see cref="GorillaEncoder.Count"/>).
    /// </summary>
    /// <exception cref="CorruptBlockException">The format byte or the length is not that of a block.</exception>
    public static GorillaDecoder ForOpenBlock(ReadOnlySpan<byte> bytes, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (bytes.Length < 1)
        {
            throw new CorruptBlockException("An open Gorilla block has at least its format byte and header; got 0 bytes.");
        }

        byte format = bytes[0];
        if (format >> 4 != BlockFormat.Version || (format & 0x0F) > (int)TimestampUnit.Milliseconds)
        {
            throw new CorruptBlockException($"Byte 0x{format:X2} is not a version {BlockFormat.Version} Gorilla format byte.");
        }

        var unit = (TimestampUnit)(format & 0x0F);
        int headerBytes = (BlockFormat.FormatBits + TimestampCoding.HeaderBits(unit)) / 8;
        if (bytes.Length < headerBytes)
        {
            throw new CorruptBlockException($"An open Gorilla block in {unit} has at least {headerBytes} bytes; got {bytes.Length}.");
        }

        return new GorillaDecoder(bytes, bytes.Length * 8L, count, unit, requireCleanEnd: false);
    }

    /// <summary>Lets <c>foreach</c> run over the decoder.</summary>
    public readonly GorillaDecoder GetEnumerator() => this;

    /// <summary>Reads the next point into <see cref="Current"/>; false when every point has been read.</summary>
    /// <exception cref="CorruptBlockException">The bit stream does not decode (only possible for bytes not made by the encoder).</exception>
    public bool MoveNext()
    {
        if (_index >= _count)
        {
            return false;
        }

        if (_index == 0)
        {
            ReadFirstPoint();
        }
        else
        {
            ReadNextPoint();
        }

        _index++;
        if (_bitPosition > _streamBits)
        {
            ThrowRanPastEnd();
        }

        if (_index == _count && _requireCleanEnd)
        {
            CheckCleanEnd();
        }

        Current = new DataPoint(_timestamp, BitConverter.UInt64BitsToDouble(_valueBits));
        return true;
    }

    /// <summary>
    /// Moves forward to the first point whose timestamp is ≥ <paramref name="timestamp"/> and makes it
    /// <see cref="Current"/>; false (and the decoder exhausted) when no such point remains. If
    /// <see cref="Current"/> already qualifies it stays. A Gorilla stream can only be read forwards: to go back,
    /// take a new decoder.
    /// </summary>
    public bool SeekTo(long timestamp)
    {
        if (_index > 0 && Current.Timestamp >= timestamp)
        {
            return true;
        }

        while (MoveNext())
        {
            if (Current.Timestamp >= timestamp)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Reads every remaining point into the spans; returns how many. The spans must hold <see cref="Remaining"/>.</summary>
    /// <remarks>
    /// The bulk path (<see cref="GorillaBulkDecoder"/>): the same points as <see cref="MoveNext"/>, decoded by a loop
    /// that keeps the state and a 128-bit window of the stream in registers. The stream end is checked after each
    /// point and every value code against what the encoder writes, so corrupt bytes end in
    /// <see cref="CorruptBlockException"/>, never in a wild read.
    /// </remarks>
    public int DecodeAll(Span<long> timestamps, Span<double> values)
    {
        int n = Remaining;
        if (timestamps.Length < n || values.Length < n)
        {
            throw new ArgumentException($"{n} points remain; the spans hold {timestamps.Length} timestamps and {values.Length} values.");
        }

        if (n == 0)
        {
            return 0;
        }

        int i = 0;
        if (_index == 0)
        {
            MoveNext();
            timestamps[0] = _timestamp;
            values[0] = BitConverter.UInt64BitsToDouble(_valueBits);
            i = 1;
        }

        var state = new DecoderState
        {
            Position = _bitPosition,
            Timestamp = _timestamp,
            Delta = _delta,
            ValueBits = _valueBits,
            WindowTrailing = _windowTrailing,
            WindowMeaningful = _windowMeaningful,
        };
        int index = _index;
        GorillaBulkDecoder.Outcome outcome = GorillaBulkDecoder.Decode(
            _bytes, _streamBits, _bucketBits, ref state, ref index, _count, timestamps[i..n], values[i..n]);
        _bitPosition = state.Position;
        _timestamp = state.Timestamp;
        _delta = state.Delta;
        _valueBits = state.ValueBits;
        _windowTrailing = state.WindowTrailing;
        _windowMeaningful = state.WindowMeaningful;
        if (outcome != GorillaBulkDecoder.Outcome.Done)
        {
            _index = index;
            ThrowMalformed(outcome == GorillaBulkDecoder.Outcome.RanPastEnd);
        }

        _index = _count;
        if (_requireCleanEnd)
        {
            CheckCleanEnd();
        }

        Current = new DataPoint(_timestamp, BitConverter.UInt64BitsToDouble(_valueBits));
        return n;
    }

    /// <summary>64 bits from bit <paramref name="position"/> on, of which at least the top 57 are real; zeros past the end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Load(ReadOnlySpan<byte> bytes, int position)
    {
        int byteIndex = position >> 3;
        ulong word;
        if ((uint)(byteIndex + 8) <= (uint)bytes.Length)
        {
            word = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref MemoryMarshal.GetReference(bytes), byteIndex));
            if (BitConverter.IsLittleEndian)
            {
                word = BinaryPrimitives.ReverseEndianness(word);
            }
        }
        else
        {
            word = LoadNearEnd(bytes, byteIndex);
        }

        return word << (position & 7);
    }

    /// <summary>The <paramref name="count"/> (1 to 64) bits at <paramref name="position"/>, right-aligned.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong LoadField(ReadOnlySpan<byte> bytes, int position, int count)
    {
        if (count <= 57)
        {
            return Load(bytes, position) >> (64 - count);
        }

        int highCount = count - 32;
        ulong high = Load(bytes, position) >> (64 - highCount);
        ulong low = Load(bytes, position + highCount) >> 32;
        return (high << 32) | low;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong LoadNearEnd(ReadOnlySpan<byte> bytes, int byteIndex)
    {
        ulong word = 0;
        for (int i = 0; i < 8; i++)
        {
            int at = byteIndex + i;
            word = (word << 8) | ((uint)at < (uint)bytes.Length ? bytes[at] : 0UL);
        }

        return word;
    }

    private void ReadFirstPoint()
    {
        _delta = (long)ReadBits(_firstDeltaBits);
        _timestamp += _delta;
        _valueBits = ReadBits(64);
    }

    private void ReadNextPoint()
    {
        if (!StepPoint(_bytes, _bucketBits, ref _bitPosition, ref _delta, ref _timestamp, ref _valueBits, ref _windowTrailing, ref _windowMeaningful))
        {
            ThrowMalformed(wellFormed: false);
        }
    }

    /// <summary>
    /// Decodes one point after the first: the delta-of-delta code, then the value code (Gorilla §4.1). Returns false
    /// for a value code the encoder never writes ('10' before any window, or a window wider than 64 bits).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool StepPoint(
        ReadOnlySpan<byte> bytes,
        int bucketBits,
        ref int position,
        ref long delta,
        ref long timestamp,
        ref ulong valueBits,
        ref int windowTrailing,
        ref int windowMeaningful)
    {
        ulong window = Load(bytes, position);
        int used = 1;
        if ((long)window < 0)
        {
            // '10', '110', '1110', '1111': count the ones (at most 4) to find the bucket.
            int ones = BitOperations.LeadingZeroCount(~window);
            ones = ones > 4 ? 4 : ones;
            int prefix = ones == 4 ? 4 : ones + 1;
            int width = (bucketBits >> ((ones - 1) * 8)) & 0xFF;
            ulong field = (window << prefix) >> (64 - width);
            ulong half = 1UL << (width - 1);

            // A field above 2^(w−1) is negative: v − 2^w (TimestampCoding).
            delta += field > half ? (long)field - (long)(half << 1) : (long)field;
            used = prefix + width;
        }

        timestamp += delta;

        // The value's control bits come from the same load: at least 57 − 36 = 21 valid bits remain.
        // '0' and '10' are told apart with arithmetic instead of a branch: whether a value repeats is as random as
        // the data, so a branch on it would be mispredicted on a large share of real points. '11' (a new window) is
        // rare once a series' window has settled, and takes a branch.
        window <<= used;
        int hasBits = (int)((long)window >> 63); // -1 for '10' and '11', 0 for '0'
        int controlBits = 1 - hasBits; // 1 for '0', 2 for '10'
        if (window >= 0xC000_0000_0000_0000UL)
        {
            int leading = (int)(window >> 57) & 0x1F;
            windowMeaningful = (((int)(window >> 51) - 1) & 0x3F) + 1; // the 6-bit length, 0 read as 64
            windowTrailing = 64 - leading - windowMeaningful;
            controlBits = 13;
        }

        position += used + controlBits;
        int count = windowMeaningful & hasBits;
        ulong xor = count <= 57
            ? (Load(bytes, position) >> 1) >> (63 - count) // 0 when count is 0
            : LoadField(bytes, position, count);
        valueBits ^= xor << windowTrailing;
        position += count;
        return (hasBits & (windowTrailing | (windowMeaningful - 1))) >= 0; // '10' before any window, or a window over 64 bits
    }

    /// <summary>Reads 1 to 64 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong ReadBits(int count)
    {
        ulong bits = LoadField(_bytes, _bitPosition, count);
        _bitPosition += count;
        return bits;
    }

    /// <summary>The next 64 bits from the bit position, of which at least the top 57 are real; zeros past the end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly ulong Peek() => Load(_bytes, _bitPosition);

    private readonly void CheckCleanEnd()
    {
        int padding = _streamBits - _bitPosition;
        if (padding >= 8)
        {
            ThrowCorrupt($"{padding} bits are left after the last of {_count} points; the encoder leaves at most 7");
        }

        if (padding > 0 && (Peek() >> (64 - padding)) != 0)
        {
            ThrowCorrupt("the padding after the last point is not zero");
        }
    }

    private readonly void ThrowMalformed(bool wellFormed)
    {
        if (wellFormed)
        {
            ThrowRanPastEnd();
        }

        ThrowCorrupt(_windowMeaningful == 0
            ? "a '10' value before any '11' value set the window"
            : $"a value window of {64 - _windowTrailing - _windowMeaningful} leading zeros and {_windowMeaningful} meaningful bits exceeds 64 bits");
    }

    private readonly void ThrowRanPastEnd() =>
        throw new CorruptBlockException(
            $"Gorilla block ran past the end of its {_streamBits}-bit stream at point {_index} of {_count}.");

    private readonly void ThrowCorrupt(string what) =>
        throw new CorruptBlockException($"Gorilla block does not decode at point {_index + 1} of {_count}: {what}.");
}
