using System.Buffers.Binary;
using AkkaRaft.Common;

namespace AkkaRaft.Raft.Peer.Snapshots;

/// <summary>The answer of the snapshot port to a fetch request.</summary>
public enum SnapshotFetchStatus : byte
{
    /// <summary>The CRC table and the bytes follow.</summary>
    Ok = 0,

    /// <summary>No published snapshot has that index, term and token (never offered, or replaced by a newer one).</summary>
    UnknownSnapshot = 1,

    /// <summary>The request is malformed (its CRC, its magic, an offset past the end).</summary>
    BadRequest = 2,
}

/// <summary>
/// The frames of the snapshot port (all integers little-endian, each header behind its own CRC-32C):
/// <list type="number">
/// <item>fetcher → leader, the request (48 bytes): magic <c>ARSQ</c>, token (16), snapshot index (8), snapshot term (8),
/// the offset the fetcher has verified up to (8), CRC-32C of the 44 bytes before (4);</item>
/// <item>leader → fetcher, the answer (36 bytes): magic <c>ARSR</c>, status (1), 3 zero bytes, chunk size (4), total
/// bytes (8), start offset (8: the requested offset rounded down to a chunk boundary), CRC-32C of the whole snapshot
/// (4), CRC-32C of the 32 bytes before (4);</item>
/// <item>with status Ok: the CRC-32C of every chunk from the start offset on (4 each) and the CRC-32C of that table (4);</item>
/// <item>the snapshot's bytes from the start offset to the end, raw (the leader sends them from its file with sendfile).</item>
/// </list>
/// The fetcher checks each chunk against the table before it keeps it, so a cut transfer resumes after the last chunk
/// that passed, and the whole against the offer's CRC before it installs anything.
/// </summary>
internal static class SnapshotWire
{
    public const uint RequestMagic = 0x51535241; // "ARSQ"
    public const uint ResponseMagic = 0x52535241; // "ARSR"
    public const int RequestBytes = 48;
    public const int ResponseBytes = 36;

    public static byte[] EncodeRequest(ReadOnlySpan<byte> token, ulong index, ulong term, long offset)
    {
        if (token.Length != SnapshotOffer.TokenBytes) throw new ArgumentException($"a token has {SnapshotOffer.TokenBytes} bytes, not {token.Length}", nameof(token));
        var frame = new byte[RequestBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, RequestMagic);
        token.CopyTo(frame.AsSpan(4));
        BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(20), index);
        BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(28), term);
        BinaryPrimitives.WriteInt64LittleEndian(frame.AsSpan(36), offset);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(44), Crc32C.Compute(frame.AsSpan(0, 44)));
        return frame;
    }

    /// <summary>Reads a request; null with the reason when it is not one.</summary>
    public static FetchRequest? DecodeRequest(ReadOnlySpan<byte> frame, out string error)
    {
        error = "";
        if (frame.Length != RequestBytes) error = $"a request has {RequestBytes} bytes, got {frame.Length}";
        else if (BinaryPrimitives.ReadUInt32LittleEndian(frame) != RequestMagic) error = "not a snapshot request (bad magic)";
        else if (BinaryPrimitives.ReadUInt32LittleEndian(frame[44..]) != Crc32C.Compute(frame[..44])) error = "the request fails its CRC";
        else if (BinaryPrimitives.ReadInt64LittleEndian(frame[36..]) < 0) error = "negative offset";
        if (error.Length > 0) return null;
        return new FetchRequest(frame.Slice(4, SnapshotOffer.TokenBytes).ToArray(), BinaryPrimitives.ReadUInt64LittleEndian(frame[20..]),
            BinaryPrimitives.ReadUInt64LittleEndian(frame[28..]), BinaryPrimitives.ReadInt64LittleEndian(frame[36..]));
    }

    public static byte[] EncodeResponse(SnapshotFetchStatus status, int chunkBytes, long totalBytes, long startOffset, uint crc)
    {
        var frame = new byte[ResponseBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, ResponseMagic);
        frame[4] = (byte)status;
        BinaryPrimitives.WriteInt32LittleEndian(frame.AsSpan(8), chunkBytes);
        BinaryPrimitives.WriteInt64LittleEndian(frame.AsSpan(12), totalBytes);
        BinaryPrimitives.WriteInt64LittleEndian(frame.AsSpan(20), startOffset);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(28), crc);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(32), Crc32C.Compute(frame.AsSpan(0, 32)));
        return frame;
    }

    /// <summary>Reads an answer; null with the reason when it is not one.</summary>
    public static FetchResponse? DecodeResponse(ReadOnlySpan<byte> frame, out string error)
    {
        error = "";
        if (frame.Length != ResponseBytes) error = $"an answer has {ResponseBytes} bytes, got {frame.Length}";
        else if (BinaryPrimitives.ReadUInt32LittleEndian(frame) != ResponseMagic) error = "not a snapshot answer (bad magic)";
        else if (BinaryPrimitives.ReadUInt32LittleEndian(frame[32..]) != Crc32C.Compute(frame[..32])) error = "the answer fails its CRC";
        if (error.Length > 0) return null;
        return new FetchResponse((SnapshotFetchStatus)frame[4], BinaryPrimitives.ReadInt32LittleEndian(frame[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(frame[12..]), BinaryPrimitives.ReadInt64LittleEndian(frame[20..]),
            BinaryPrimitives.ReadUInt32LittleEndian(frame[28..]));
    }

    /// <summary>Chunks from <paramref name="start"/> to the end of a snapshot of <paramref name="total"/> bytes.</summary>
    public static long Chunks(long total, long start, int chunkBytes) => (total - start + chunkBytes - 1) / chunkBytes;

    /// <summary>The CRC table of the chunks from chunk <paramref name="first"/> on, followed by its own CRC.</summary>
    public static byte[] EncodeTable(uint[] chunkCrcs, int first)
    {
        var count = chunkCrcs.Length - first;
        var table = new byte[(count + 1) * 4];
        for (var i = 0; i < count; i++) BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(i * 4), chunkCrcs[first + i]);
        BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(count * 4), Crc32C.Compute(table.AsSpan(0, count * 4)));
        return table;
    }

    /// <summary>Reads a CRC table of <paramref name="count"/> chunks; null when it fails its CRC.</summary>
    public static uint[]? DecodeTable(ReadOnlySpan<byte> table, int count)
    {
        if (table.Length != (count + 1) * 4) return null;
        if (BinaryPrimitives.ReadUInt32LittleEndian(table[(count * 4)..]) != Crc32C.Compute(table[..(count * 4)])) return null;
        var crcs = new uint[count];
        for (var i = 0; i < count; i++) crcs[i] = BinaryPrimitives.ReadUInt32LittleEndian(table[(i * 4)..]);
        return crcs;
    }
}

/// <summary>A fetch request read from the snapshot port.</summary>
internal sealed record FetchRequest(byte[] Token, ulong Index, ulong Term, long Offset);

/// <summary>The snapshot port's answer to a fetch request.</summary>
internal sealed record FetchResponse(SnapshotFetchStatus Status, int ChunkBytes, long TotalBytes, long StartOffset, uint Crc);
