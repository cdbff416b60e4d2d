using System.Buffers.Binary;
using System.Text;
using AkkaRaft.Common;
using AkkaRaft.Raft.StateMachines;
using AkkaRaft.TimeSeries.Gorilla;

namespace AkkaRaft.TimeSeries;

// The snapshot format, version 1 (all integers little-endian):
//
//   "ATSS"            4 bytes   magic
//   version           u32       format version, 1
//   retention cutoff  i64       Unix ms of the last retention drop applied; long.MinValue when none
//   series            u64       number of series
//   series times, in ordinal order of name:
//     name length     u16, then the name in UTF-8
//     unit            u8        0 seconds, 1 milliseconds
//     sealed blocks   u32
//     blocks times:   first i64, last i64, length u32, then the block's bytes exactly as sealed (Gorilla format,
//                     its own footer with point count and CRC-32C), never re-encoded
//     open points     u32
//     points times:   timestamp i64, value bits u64 (the open encoder is rebuilt by appending them)
//   checksum          u32       CRC-32C of every byte before it
//
// The same state always gives the same bytes. Each block is written and read one at a time, and each is checked
// by its own CRC on restore (GorillaBlock.Open) as well as by the trailer.
//
// The coordinator writes the header, the series count and the trailer; each series' record is written by the shard
// that owns it (WriteSeries) and the coordinator merges the shards' records by name, so the synchronous store and its
// actor form write the same bytes.
internal static class TimeSeriesSnapshot
{
    /// <summary>The snapshot format version this build writes and reads.</summary>
    public const uint FormatVersion = 1;

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    private static ReadOnlySpan<byte> SnapshotMagic => "ATSS"u8;

    /// <summary>Writes the magic, version, retention cutoff and series count; the writer keeps the CRC for the trailer.</summary>
    public static CrcWriter WriteHeader(Stream output, long? retentionCutoffMs, long seriesCount)
    {
        ArgumentNullException.ThrowIfNull(output);
        var writer = new CrcWriter(output);
        writer.Bytes(SnapshotMagic);
        writer.U32(FormatVersion);
        writer.I64(retentionCutoffMs ?? long.MinValue);
        writer.I64(seriesCount);
        return writer;
    }

    /// <summary>Writes one series' record: name, unit, sealed blocks as sealed, open points.</summary>
    public static void WriteSeries(CrcWriter writer, StoredSeries series)
    {
        var nameBytes = Encoding.UTF8.GetBytes(series.Name);
        writer.U16((ushort)nameBytes.Length);
        writer.Bytes(nameBytes);
        writer.Bytes([(byte)series.Unit]);
        writer.U32((uint)series.Sealed.Count);
        foreach (var block in series.Sealed)
        {
            writer.I64(block.First);
            writer.I64(block.Last);
            writer.U32((uint)block.Block.SizeBytes);
            writer.Bytes(block.Block.Bytes.Span);
        }

        var open = series.OpenPoints();
        writer.U32((uint)open.Length);
        foreach (var p in open)
        {
            writer.I64(p.Timestamp);
            writer.I64(BitConverter.DoubleToInt64Bits(p.Value));
        }
    }

    /// <summary>Writes the CRC-32C of everything the writer wrote.</summary>
    public static void WriteTrailer(Stream output, CrcWriter writer)
    {
        Span<byte> trailer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(trailer, writer.Crc);
        output.Write(trailer);
    }

    /// <summary>
    /// Reads a snapshot into a new coordinator and new shards (each series' open encoder rebuilt from its points);
    /// nothing existing is touched.
    /// </summary>
    /// <exception cref="InvalidSnapshotException">The snapshot is corrupt, truncated or of another version.</exception>
    public static (TimeSeriesCoordinator Coordinator, SeriesShard[] Shards) Read(Stream input, TimeSeriesSettings settings)
    {
        ArgumentNullException.ThrowIfNull(input);
        var reader = new CrcReader(input);
        Span<byte> magic = stackalloc byte[4];
        reader.Read(magic, "the magic");
        if (!magic.SequenceEqual(SnapshotMagic))
        {
            throw new InvalidSnapshotException($"The snapshot is not a time-series snapshot: it starts with {Convert.ToHexString(magic)}, not the magic 'ATSS'.");
        }

        var version = reader.U32("the version");
        if (version != FormatVersion) throw new InvalidSnapshotException($"The time-series snapshot has format version {version}; this build reads version {FormatVersion}.");
        var cutoff = reader.I64("the retention cutoff");
        var count = reader.I64("the series count");
        if (count < 0) throw new InvalidSnapshotException($"The time-series snapshot claims {count} series.");
        var shards = TimeSeriesCoordinator.NewShards(settings);
        var units = new Dictionary<string, TimestampUnit>(StringComparer.Ordinal);
        string? previous = null;
        for (long i = 0; i < count; i++)
        {
            var nameBytes = new byte[reader.U16($"the name length of series {i}")];
            reader.Read(nameBytes, $"the name of series {i}");
            string name;
            try
            {
                name = StrictUtf8.GetString(nameBytes);
            }
            catch (DecoderFallbackException e)
            {
                throw new InvalidSnapshotException($"Series {i} of the time-series snapshot has a name that is not valid UTF-8.", e);
            }

            if (previous is not null && string.CompareOrdinal(previous, name) >= 0) throw new InvalidSnapshotException($"Series {i} ('{TsAnswer.Shown(name)}') of the time-series snapshot is out of order.");
            var unitByte = reader.U8($"the unit of series '{TsAnswer.Shown(name)}'");
            if (unitByte > (byte)TimestampUnit.Milliseconds) throw new InvalidSnapshotException($"Series '{TsAnswer.Shown(name)}' of the time-series snapshot has unknown unit {unitByte}.");
            var series = shards[SeriesShard.ShardOf(name, shards.Length)].GetOrCreate(name, (TimestampUnit)unitByte);
            var blocks = reader.U32($"the block count of series '{TsAnswer.Shown(name)}'");
            for (uint b = 0; b < blocks; b++)
            {
                var first = reader.I64($"block {b} of series '{TsAnswer.Shown(name)}'");
                var last = reader.I64($"block {b} of series '{TsAnswer.Shown(name)}'");
                var length = reader.U32($"block {b} of series '{TsAnswer.Shown(name)}'");
                if (length > 16 * 1024 * 1024) throw new InvalidSnapshotException($"Block {b} of series '{TsAnswer.Shown(name)}' claims {length} bytes.");
                var bytes = new byte[length];
                reader.Read(bytes, $"block {b} of series '{TsAnswer.Shown(name)}'");
                GorillaBlock block;
                try
                {
                    block = GorillaBlock.Open(bytes);
                }
                catch (CorruptBlockException e)
                {
                    throw new InvalidSnapshotException($"Block {b} of series '{TsAnswer.Shown(name)}' in the time-series snapshot is corrupt: {e.Message}", e);
                }

                if (block.Count == 0 || block.Unit != series.Unit || block.FirstTimestamp != first || first > last || (series.Sealed.Count > 0 && first <= series.Sealed[^1].Last))
                {
                    throw new InvalidSnapshotException($"Block {b} of series '{TsAnswer.Shown(name)}' in the time-series snapshot does not match its recorded span or unit, or overlaps the block before it.");
                }

                series.RestoreSealed(new SealedBlock(block, first, last));
            }

            var openCount = reader.U32($"the open point count of series '{TsAnswer.Shown(name)}'");
            if (openCount > GorillaSettings.MaxPointsPerBlockLimit) throw new InvalidSnapshotException($"Series '{TsAnswer.Shown(name)}' claims {openCount} open points.");
            var open = new DataPoint[openCount];
            for (var p = 0; p < open.Length; p++)
            {
                open[p] = new DataPoint(reader.I64($"open point {p} of series '{TsAnswer.Shown(name)}'"), BitConverter.Int64BitsToDouble(reader.I64($"open point {p} of series '{TsAnswer.Shown(name)}'")));
            }

            if (open.Length > 0 && series.Sealed.Count > 0 && open[0].Timestamp <= series.Sealed[^1].Last)
            {
                throw new InvalidSnapshotException($"The open block of series '{TsAnswer.Shown(name)}' in the time-series snapshot starts before its last sealed block ends.");
            }

            try
            {
                series.RestoreOpen(open);
            }
            catch (Exception e) when (e is ArgumentException or InvalidDataException)
            {
                throw new InvalidSnapshotException($"The open block of series '{TsAnswer.Shown(name)}' in the time-series snapshot cannot be rebuilt: {e.Message}", e);
            }

            if (series.Points == 0) throw new InvalidSnapshotException($"Series '{TsAnswer.Shown(name)}' of the time-series snapshot has no points.");
            units.Add(name, series.Unit);
            previous = name;
        }

        var computed = reader.Crc;
        Span<byte> trailer = stackalloc byte[4];
        reader.Read(trailer, "the checksum");
        var stored = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
        if (stored != computed) throw new InvalidSnapshotException($"The time-series snapshot is corrupt: its checksum is {stored:X8} but its bytes give {computed:X8}.");
        if (input.ReadByte() != -1) throw new InvalidSnapshotException("The time-series snapshot has bytes after its checksum.");

        return (new TimeSeriesCoordinator(settings, units, cutoff == long.MinValue ? null : cutoff), shards);
    }

    /// <summary>Writes little-endian integers and bytes to a stream, keeping their CRC-32C.</summary>
    internal sealed class CrcWriter(Stream output)
    {
        public uint Crc { get; private set; }

        public void Bytes(ReadOnlySpan<byte> bytes)
        {
            Crc = Crc32C.Append(Crc, bytes);
            output.Write(bytes);
        }

        public void U16(ushort value)
        {
            Span<byte> b = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(b, value);
            Bytes(b);
        }

        public void U32(uint value)
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(b, value);
            Bytes(b);
        }

        public void I64(long value)
        {
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(b, value);
            Bytes(b);
        }
    }

    /// <summary>Reads exactly, keeping the CRC-32C of what it read; a short stream is a truncated snapshot.</summary>
    internal sealed class CrcReader(Stream input)
    {
        public uint Crc { get; private set; }

        public void Read(Span<byte> destination, string what)
        {
            var read = input.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false);
            if (read < destination.Length) throw new InvalidSnapshotException($"The time-series snapshot is truncated: {what} needs {destination.Length} bytes, only {read} remain.");
            Crc = Crc32C.Append(Crc, destination);
        }

        public byte U8(string what)
        {
            Span<byte> b = stackalloc byte[1];
            Read(b, what);
            return b[0];
        }

        public ushort U16(string what)
        {
            Span<byte> b = stackalloc byte[2];
            Read(b, what);
            return BinaryPrimitives.ReadUInt16LittleEndian(b);
        }

        public uint U32(string what)
        {
            Span<byte> b = stackalloc byte[4];
            Read(b, what);
            return BinaryPrimitives.ReadUInt32LittleEndian(b);
        }

        public long I64(string what)
        {
            Span<byte> b = stackalloc byte[8];
            Read(b, what);
            return BinaryPrimitives.ReadInt64LittleEndian(b);
        }
    }
}
