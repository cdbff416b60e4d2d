using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using AkkaRaft.Common;

namespace AkkaRaft.TimeSeries.Gorilla;

/// <summary>
/// Streaming encoder of one Gorilla block (Pelkonen et al., VLDB 2015, §4.1): append points one at a time,
/// read the bytes written so far at any moment, then <see cref="Finish"/> into an immutable
/// <see cref="GorillaBlock"/>. The layout is described on <see cref="GorillaBlock"/>.
/// </summary>
/// <remarks>
/// Not thread-safe: one owner (a series writer, a shard actor) appends. Appending allocates nothing; the
/// buffer grows by doubling (a few times per block at most) and is reused after <see cref="Reset"/>.
/// Bits go through a 64-bit accumulator, written to the buffer eight bytes at a time.
/// </remarks>
public sealed class GorillaEncoder
{
    private const int NoWindow = 64;
    private const int InitialCapacityBytes = 256;

    // Room for one widest point (113 bits) plus the eight bytes a flush writes, with margin.
    private const int SlackBytes = 40;

    private readonly string _seriesName;
    private readonly TimestampUnit _unit;
    private readonly int _maxPoints;
    private readonly int _firstDeltaBits;
    private readonly int _bucket1Bits;
    private readonly int _bucket2Bits;
    private readonly int _bucket3Bits;
    private readonly int _bucket4Bits;

    private byte[] _buffer;
    private int _flushedBytes;
    private ulong _accumulator;
    private int _freeBits;

    private long _headerTimestamp;
    private long _windowEnd;

    // Last timestamp inside the window; long.MaxValue when the window has no end, so that long.MaxValue itself fits.
    private long _windowLast;
    private int _count;
    private long _previousTimestamp;
    private long _previousDelta;
    private ulong _previousValueBits;
    private int _windowLeading;
    private int _windowTrailing;
    private bool _finished;

    /// <summary>Starts an empty block.</summary>
    /// <param name="seriesName">Name used in error messages.</param>
    /// <param name="unit">Unit of every timestamp of this block.</param>
    /// <param name="headerTimestamp">The block header (Gorilla's t−1), normally the start of the aligned window.</param>
    /// <param name="windowEnd">First timestamp that no longer belongs in this block (exclusive end of the window);
    /// <see cref="long.MaxValue"/> for none (then long.MaxValue itself is accepted).</param>
    /// <param name="maxPointsPerBlock">Most points the block takes, 1 to 65535.</param>
    /// <exception cref="ArgumentOutOfRangeException">A timestamp outside the unit's range, an empty window, or a bad limit.</exception>
    public GorillaEncoder(
        string seriesName,
        TimestampUnit unit,
        long headerTimestamp,
        long windowEnd = long.MaxValue,
        int maxPointsPerBlock = GorillaSettings.MaxPointsPerBlockLimit)
    {
        ArgumentNullException.ThrowIfNull(seriesName);
        if (unit is not (TimestampUnit.Seconds or TimestampUnit.Milliseconds))
        {
            throw new ArgumentOutOfRangeException(nameof(unit), unit, "Unknown timestamp unit.");
        }

        if (maxPointsPerBlock < 1 || maxPointsPerBlock > GorillaSettings.MaxPointsPerBlockLimit)
        {
            throw new ArgumentOutOfRangeException(
                nameof(maxPointsPerBlock),
                maxPointsPerBlock,
                $"A block holds 1 to {GorillaSettings.MaxPointsPerBlockLimit} points.");
        }

        _seriesName = seriesName;
        _unit = unit;
        _maxPoints = maxPointsPerBlock;
        _firstDeltaBits = TimestampCoding.FirstDeltaBits(unit);
        ReadOnlySpan<byte> buckets = TimestampCoding.BucketBits(unit);
        _bucket1Bits = buckets[0];
        _bucket2Bits = buckets[1];
        _bucket3Bits = buckets[2];
        _bucket4Bits = buckets[3];
        _buffer = new byte[InitialCapacityBytes];
        Reset(headerTimestamp, windowEnd);
    }

    /// <summary>The series this block belongs to (for messages).</summary>
    public string SeriesName => _seriesName;

    /// <summary>Unit of the block's timestamps.</summary>
    public TimestampUnit Unit => _unit;

    /// <summary>The header timestamp (the window start).</summary>
    public long HeaderTimestamp => _headerTimestamp;

    /// <summary>Exclusive end of the window; a point at or after it gets <see cref="AppendStatus.OutsideWindow"/>
    /// (<see cref="long.MaxValue"/>: no end).</summary>
    public long WindowEnd => _windowEnd;

    /// <summary>Points appended to the open block.</summary>
    public int Count => _count;

    /// <summary>Most points the block takes.</summary>
    public int MaxPoints => _maxPoints;

    /// <summary>Whether <see cref="Finish"/> was called since the last <see cref="Reset"/>.</summary>
    public bool IsFinished => _finished;

    /// <summary>Timestamp of the last appended point; only meaningful when <see cref="Count"/> &gt; 0.</summary>
    public long LastTimestamp => _previousTimestamp;

    /// <summary>Bits written so far: format, header and points, without padding.</summary>
    public long BitLength => (_flushedBytes * 8L) + (64 - _freeBits);

    /// <summary>
    /// The block's bytes so far, the last byte padded with zero bits; the block stays open.
    /// The span points into the encoder's buffer and is valid until the next append, finish or reset.
    /// Decode it with <see cref="GorillaDecoder.ForOpenBlock"/> and <see cref="Count"/>.
    /// </summary>
    public ReadOnlySpan<byte> BytesSoFar
    {
        get
        {
            // Spill the accumulator without consuming it: its unwritten low bits are zero, and the next
            // flush writes the same bytes again at the same place.
            BinaryPrimitives.WriteUInt64BigEndian(_buffer.AsSpan(_flushedBytes, 8), _accumulator);
            int pendingBytes = (64 - _freeBits + 7) >> 3;
            return new ReadOnlySpan<byte>(_buffer, 0, _flushedBytes + pendingBytes);
        }
    }

    /// <summary>A decoder over <see cref="BytesSoFar"/>; valid until the next append, finish or reset.</summary>
    public GorillaDecoder DecodeSoFar() => GorillaDecoder.ForOpenBlock(BytesSoFar, _count);

    /// <summary>
    /// Empties the encoder and starts a new block with the given header, keeping the buffer.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The header is outside the unit's range or the window is empty.</exception>
    public void Reset(long headerTimestamp, long windowEnd = long.MaxValue)
    {
        if (headerTimestamp < 0 || headerTimestamp > TimestampCoding.MaxTimestamp(_unit))
        {
            throw new ArgumentOutOfRangeException(
                nameof(headerTimestamp),
                headerTimestamp,
                $"Series '{_seriesName}': a block header must be between 0 and {TimestampCoding.MaxTimestamp(_unit)} {TimestampCoding.Suffix(_unit)}.");
        }

        if (windowEnd <= headerTimestamp)
        {
            throw new ArgumentOutOfRangeException(
                nameof(windowEnd),
                windowEnd,
                $"Series '{_seriesName}': the window must end after its header {headerTimestamp} {TimestampCoding.Suffix(_unit)}.");
        }

        _flushedBytes = 0;
        _accumulator = 0;
        _freeBits = 64;
        _headerTimestamp = headerTimestamp;
        _windowEnd = windowEnd;
        _windowLast = windowEnd == long.MaxValue ? long.MaxValue : windowEnd - 1;
        _count = 0;
        _previousTimestamp = 0;
        _previousDelta = 0;
        _previousValueBits = 0;
        _windowLeading = NoWindow;
        _windowTrailing = NoWindow;
        _finished = false;

        WriteBits(BlockFormat.FormatByte(_unit), BlockFormat.FormatBits);
        WriteBits((ulong)headerTimestamp, TimestampCoding.HeaderBits(_unit));
    }

    /// <summary>
    /// Appends one point if it belongs in this block. On any status but <see cref="AppendStatus.Appended"/>
    /// nothing was written and the point belongs in a new block.
    /// </summary>
    /// <param name="timestamp">In <see cref="Unit"/>; must be after the previous point and not before the header.</param>
    /// <param name="value">Any IEEE-754 double; its exact bits are kept (NaN payloads, −0.0, subnormals).</param>
    /// <exception cref="NonIncreasingTimestampException">The timestamp is not after the previous point's.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The first timestamp is before the header.</exception>
    /// <exception cref="InvalidOperationException">The block was finished.</exception>
    public AppendStatus TryAppend(long timestamp, double value)
    {
        if (_finished)
        {
            throw new InvalidOperationException(
                $"Series '{_seriesName}': the block with header {_headerTimestamp} is finished; call Reset to start another.");
        }

        ulong valueBits = BitConverter.DoubleToUInt64Bits(value);
        if (_count == 0)
        {
            return AppendFirst(timestamp, valueBits);
        }

        if (timestamp <= _previousTimestamp)
        {
            throw new NonIncreasingTimestampException(_seriesName, _unit, _previousTimestamp, timestamp);
        }

        if (timestamp > _windowLast)
        {
            return AppendStatus.OutsideWindow;
        }

        if (_count >= _maxPoints)
        {
            return AppendStatus.BlockFull;
        }

        // Gorilla §4.1.1: D = (t[n] − t[n−1]) − (t[n−1] − t[n−2]) in the smallest bucket that holds it.
        // Both terms are non-negative, so neither subtraction overflows.
        long delta = timestamp - _previousTimestamp;
        long deltaOfDelta = delta - _previousDelta;

        ulong timestampCode;
        int timestampBits;
        if (deltaOfDelta == 0)
        {
            timestampCode = 0b0;
            timestampBits = 1;
        }
        else if (FitsBucket(deltaOfDelta, _bucket1Bits))
        {
            timestampCode = (0b10UL << _bucket1Bits) | LowBits(deltaOfDelta, _bucket1Bits);
            timestampBits = 2 + _bucket1Bits;
        }
        else if (FitsBucket(deltaOfDelta, _bucket2Bits))
        {
            timestampCode = (0b110UL << _bucket2Bits) | LowBits(deltaOfDelta, _bucket2Bits);
            timestampBits = 3 + _bucket2Bits;
        }
        else if (FitsBucket(deltaOfDelta, _bucket3Bits))
        {
            timestampCode = (0b1110UL << _bucket3Bits) | LowBits(deltaOfDelta, _bucket3Bits);
            timestampBits = 4 + _bucket3Bits;
        }
        else if (FitsBucket(deltaOfDelta, _bucket4Bits))
        {
            timestampCode = (0b1111UL << _bucket4Bits) | LowBits(deltaOfDelta, _bucket4Bits);
            timestampBits = 4 + _bucket4Bits;
        }
        else
        {
            return AppendStatus.DeltaTooLarge;
        }

        EnsureRoom();

        // The bit writer's state lives in locals for the rest of the append, so it stays in registers.
        ref byte buffer = ref MemoryMarshal.GetArrayDataReference(_buffer);
        ulong accumulator = _accumulator;
        int freeBits = _freeBits;
        int flushedBytes = _flushedBytes;

        // Gorilla §4.1.2: XOR with the previous value.
        ulong xor = valueBits ^ _previousValueBits;
        if (xor == 0)
        {
            // '0': same value. Timestamp code and control bit go out in one write (at most 37 bits).
            Put(ref buffer, ref accumulator, ref freeBits, ref flushedBytes, timestampCode << 1, timestampBits + 1);
        }
        else
        {
            int leading = BitOperations.LeadingZeroCount(xor);
            int trailing = BitOperations.TrailingZeroCount(xor);
            if (leading >= _windowLeading && trailing >= _windowTrailing)
            {
                // '10': the meaningful bits fall inside the previous window; reuse its position.
                int meaningful = 64 - _windowLeading - _windowTrailing;
                Put(ref buffer, ref accumulator, ref freeBits, ref flushedBytes, (timestampCode << 2) | 0b10, timestampBits + 2);
                Put(ref buffer, ref accumulator, ref freeBits, ref flushedBytes, xor >> _windowTrailing, meaningful);
            }
            else
            {
                // '11' + 5 bits of leading zeros + 6 bits of length + the meaningful bits.
                // 5 bits hold at most 31 leading zeros: more are stored as 31, and the extra zeros travel as
                // meaningful bits. The length is 1..64, but 6 bits hold 0..63: a length of 64 (no leading and
                // no trailing zeros, e.g. XOR of +0.0 and -NaN) is written as 0, which no real length can be
                // because the XOR is not zero; the decoder reads 0 back as 64.
                if (leading > BlockFormat.LeadingZerosMax)
                {
                    leading = BlockFormat.LeadingZerosMax;
                }

                int meaningful = 64 - leading - trailing;
                ulong control = (0b11UL << 11) | ((ulong)leading << 6) | ((ulong)meaningful & 0x3F);
                Put(ref buffer, ref accumulator, ref freeBits, ref flushedBytes, (timestampCode << 13) | control, timestampBits + 13);
                Put(ref buffer, ref accumulator, ref freeBits, ref flushedBytes, xor >> trailing, meaningful);
                _windowLeading = leading;
                _windowTrailing = trailing;
            }
        }

        _accumulator = accumulator;
        _freeBits = freeBits;
        _flushedBytes = flushedBytes;
        _previousDelta = delta;
        _previousTimestamp = timestamp;
        _previousValueBits = valueBits;
        _count++;
        return AppendStatus.Appended;
    }

    /// <summary>
    /// Closes the block: pads the bit stream to a byte, adds the footer (point count, CRC-32C) and returns the
    /// immutable block. The encoder accepts no points until <see cref="Reset"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The block was already finished.</exception>
    public GorillaBlock Finish()
    {
        if (_finished)
        {
            throw new InvalidOperationException(
                $"Series '{_seriesName}': the block with header {_headerTimestamp} is already finished.");
        }

        int streamBytes = BytesSoFar.Length;
        var bytes = new byte[streamBytes + BlockFormat.FooterBytes];
        _buffer.AsSpan(0, streamBytes).CopyTo(bytes);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(streamBytes, 2), (ushort)_count);
        uint checksum = Crc32C.Compute(bytes.AsSpan(0, streamBytes + 2));
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(streamBytes + 2, 4), checksum);
        _finished = true;
        return new GorillaBlock(bytes, _unit, _headerTimestamp, _count, streamBytes);
    }

    private AppendStatus AppendFirst(long timestamp, ulong valueBits)
    {
        if (timestamp < _headerTimestamp)
        {
            throw new ArgumentOutOfRangeException(
                nameof(timestamp),
                timestamp,
                $"Series '{_seriesName}': the first point at {timestamp} {TimestampCoding.Suffix(_unit)} is before the block header {_headerTimestamp} {TimestampCoding.Suffix(_unit)}.");
        }

        if (timestamp > _windowLast)
        {
            return AppendStatus.OutsideWindow;
        }

        long firstDelta = timestamp - _headerTimestamp;
        if (firstDelta >= 1L << _firstDeltaBits)
        {
            return AppendStatus.FirstDeltaTooLarge;
        }

        EnsureRoom();
        WriteBits((ulong)firstDelta, _firstDeltaBits);
        WriteBits(valueBits, 64);
        _previousDelta = firstDelta;
        _previousTimestamp = timestamp;
        _previousValueBits = valueBits;
        _count = 1;
        return AppendStatus.Appended;
    }

    /// <summary>Whether D is in [−(2^(w−1) − 1), 2^(w−1)], the range of a w-bit bucket.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool FitsBucket(long deltaOfDelta, int bits)
    {
        long half = 1L << (bits - 1);

        // D + half − 1 in [0, 2·half − 1]; an overflow wraps to a huge unsigned value and fails, as it must.
        return (ulong)(deltaOfDelta + half - 1) < (ulong)(half << 1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong LowBits(long value, int bits) => (ulong)value & ((1UL << bits) - 1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void EnsureRoom()
    {
        if (_buffer.Length - _flushedBytes < SlackBytes)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }
    }

    /// <summary>Appends the low <paramref name="count"/> bits of <paramref name="bits"/> (1 to 64; higher bits zero).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WriteBits(ulong bits, int count) =>
        Put(ref MemoryMarshal.GetArrayDataReference(_buffer), ref _accumulator, ref _freeBits, ref _flushedBytes, bits, count);

    /// <summary>
    /// The bit writer: appends the low <paramref name="count"/> bits of <paramref name="bits"/> (1 to 64, higher
    /// bits zero) to the accumulator, whose top <c>64 − freeBits</c> bits are pending; a full accumulator goes to
    /// the buffer as eight big-endian bytes. <see cref="EnsureRoom"/> has made room for those bytes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(ref byte buffer, ref ulong accumulator, ref int freeBits, ref int flushedBytes, ulong bits, int count)
    {
        if (count < freeBits)
        {
            freeBits -= count;
            accumulator |= bits << freeBits;
            return;
        }

        // Fill the accumulator, write it out, keep the rest (0 to 63 bits) at the top of a fresh one.
        int rest = count - freeBits;
        ulong full = accumulator | (bits >> rest);
        Unsafe.WriteUnaligned(
            ref Unsafe.Add(ref buffer, flushedBytes),
            BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(full) : full);
        flushedBytes += 8;

        // (bits << 1) << (63 − rest) is bits << (64 − rest) without C#'s shift-count masking: 0 when rest is 0.
        accumulator = (bits << 1) << (63 - rest);
        freeBits = 64 - rest;
    }
}
