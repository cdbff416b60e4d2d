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
    private readonly int _bucket1Bits;
    private readonly int _bucket2Bits;
    private readonly int _bucket3Bits;
    private readonly int _bucket4Bits;

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
        _bucket1Bits = buckets[0];
        _bucket2Bits = buckets[1];
        _bucket3Bits = buckets[2];
        _bucket4Bits = buckets[3];

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
    public int DecodeAll(Span<long> timestamps, Span<double> values)
    {
        int n = Remaining;
        if (timestamps.Length < n || values.Length < n)
        {
            throw new ArgumentException($"{n} points remain; the spans hold {timestamps.Length} timestamps and {values.Length} values.");
        }

        for (int i = 0; i < n; i++)
        {
            MoveNext();
            timestamps[i] = _timestamp;
            values[i] = BitConverter.UInt64BitsToDouble(_valueBits);
        }

        return n;
    }

    private void ReadFirstPoint()
    {
        _delta = (long)ReadBits(_firstDeltaBits);
        _timestamp += _delta;
        _valueBits = ReadBits(64);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ReadNextPoint()
    {
        ulong window = Peek();
        int used;
        if ((long)window >= 0)
        {
            // '0': the same delta as before.
            used = 1;
        }
        else
        {
            int ones = BitOperations.LeadingZeroCount(~window);
            int prefix;
            int width;
            switch (ones)
            {
                case 1: prefix = 2; width = _bucket1Bits; break;
                case 2: prefix = 3; width = _bucket2Bits; break;
                case 3: prefix = 4; width = _bucket3Bits; break;
                default: prefix = 4; width = _bucket4Bits; break;
            }

            ulong field = (window << prefix) >> (64 - width);
            ulong half = 1UL << (width - 1);

            // A field above 2^(w−1) is negative: v − 2^w (TimestampCoding).
            long deltaOfDelta = field > half ? (long)field - (long)(half << 1) : (long)field;
            _delta += deltaOfDelta;
            used = prefix + width;
        }

        _timestamp += _delta;

        // The value's control bits come from the same load: at least 57 − 36 = 21 valid bits remain.
        window <<= used;
        if ((long)window >= 0)
        {
            // '0': same value.
            _bitPosition += used + 1;
        }
        else if ((window & (1UL << 62)) == 0)
        {
            // '10': meaningful bits in the previous window.
            _bitPosition += used + 2;
            if (_windowMeaningful == 0)
            {
                ThrowCorrupt("a '10' value before any '11' value set the window");
            }

            _valueBits ^= ReadBits(_windowMeaningful) << _windowTrailing;
        }
        else
        {
            // '11' + leading:5 + length:6; length 0 stands for 64 (see GorillaEncoder).
            int leading = (int)(window >> 57) & 0x1F;
            int meaningful = (int)(window >> 51) & 0x3F;
            if (meaningful == 0)
            {
                meaningful = 64;
            }

            int trailing = 64 - leading - meaningful;
            if (trailing < 0)
            {
                ThrowCorrupt($"a value window of {leading} leading zeros and {meaningful} meaningful bits exceeds 64 bits");
            }

            _bitPosition += used + 13;
            _windowTrailing = trailing;
            _windowMeaningful = meaningful;
            _valueBits ^= ReadBits(meaningful) << trailing;
        }
    }

    /// <summary>Reads 1 to 64 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong ReadBits(int count)
    {
        if (count <= 57)
        {
            ulong window = Peek();
            _bitPosition += count;
            return window >> (64 - count);
        }

        ulong high = ReadBits(count - 32);
        ulong low = ReadBits(32);
        return (high << 32) | low;
    }

    /// <summary>The next 64 bits from the bit position, of which at least the top 57 are real; zeros past the end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly ulong Peek()
    {
        int byteIndex = _bitPosition >> 3;
        ulong word;
        if ((uint)(byteIndex + 8) <= (uint)_bytes.Length)
        {
            word = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref MemoryMarshal.GetReference(_bytes), byteIndex));
            if (BitConverter.IsLittleEndian)
            {
                word = BinaryPrimitives.ReverseEndianness(word);
            }
        }
        else
        {
            word = PeekNearEnd(byteIndex);
        }

        return word << (_bitPosition & 7);
    }

    private readonly ulong PeekNearEnd(int byteIndex)
    {
        ulong word = 0;
        for (int i = 0; i < 8; i++)
        {
            int at = byteIndex + i;
            word = (word << 8) | (at < _bytes.Length ? _bytes[at] : 0UL);
        }

        return word;
    }

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

    private readonly void ThrowRanPastEnd() =>
        throw new CorruptBlockException(
            $"Gorilla block ran past the end of its {_streamBits}-bit stream at point {_index} of {_count}.");

    private readonly void ThrowCorrupt(string what) =>
        throw new CorruptBlockException($"Gorilla block does not decode at point {_index + 1} of {_count}: {what}.");
}
