using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using AkkaRaft.Remote.Wire;
using Google.Protobuf;

namespace AkkaRaft.Remote.Transport;

/// <summary>
/// Length-prefixed framing: a 4-byte big-endian body length, then one protobuf <see cref="Frame"/>.
/// The length is checked against the maximum before a single body byte is buffered.
/// </summary>
internal static class FrameCodec
{
    internal const int PrefixBytes = 4;

    /// <summary>Cuts one frame from the front of <paramref name="buffer"/>; false when more bytes are needed.</summary>
    /// <exception cref="RemoteProtocolException">Zero or oversized length, undecodable body, or a frame without a body.</exception>
    internal static bool TryRead(ref ReadOnlySequence<byte> buffer, int maxFrameBytes, out Frame frame)
    {
        frame = null!;
        if (buffer.Length < PrefixBytes) return false;
        Span<byte> prefix = stackalloc byte[PrefixBytes];
        buffer.Slice(0, PrefixBytes).CopyTo(prefix);
        var length = BinaryPrimitives.ReadUInt32BigEndian(prefix);
        if (length == 0)
        {
            throw new RemoteProtocolException(CloseReason.MalformedFrame, "zero-length frame");
        }
        if (length > (uint)maxFrameBytes)
        {
            throw new RemoteProtocolException(CloseReason.FrameTooLarge,
                $"length prefix of {length} bytes exceeds maximum-frame-size-bytes = {maxFrameBytes}");
        }
        if (buffer.Length < PrefixBytes + length) return false;
        var body = buffer.Slice(PrefixBytes, length);
        try
        {
            frame = Frame.Parser.ParseFrom(body);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new RemoteProtocolException(CloseReason.MalformedFrame, $"frame body does not decode: {e.Message}", e);
        }
        if (frame.BodyCase == Frame.BodyOneofCase.None)
        {
            throw new RemoteProtocolException(CloseReason.MalformedFrame, "frame has no body");
        }
        buffer = buffer.Slice(body.End);
        return true;
    }

    /// <summary>Writes one frame (prefix and body) into <paramref name="writer"/> without flushing.</summary>
    internal static void Write(IBufferWriter<byte> writer, Frame frame, int size)
    {
        var span = writer.GetSpan(PrefixBytes + size);
        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)size);
        frame.WriteTo(span.Slice(PrefixBytes, size));
        writer.Advance(PrefixBytes + size);
    }

    /// <summary>Reads exactly one frame, for the handshake and the bulk channel's control frames.</summary>
    /// <exception cref="RemoteProtocolException">Bad bytes, or the stream ended (cleanly or mid-frame).</exception>
    internal static async ValueTask<Frame> ReadOneAsync(PipeReader reader, int maxFrameBytes, CancellationToken ct)
    {
        while (true)
        {
            var result = await reader.ReadAsync(ct).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (TryRead(ref buffer, maxFrameBytes, out var frame))
            {
                reader.AdvanceTo(buffer.Start);
                return frame;
            }
            if (result.IsCompleted)
            {
                throw buffer.Length == 0
                    ? new RemoteProtocolException(CloseReason.PeerClosed, "peer closed the connection before the expected frame")
                    : new RemoteProtocolException(CloseReason.TruncatedFrame, $"stream ended inside a frame ({buffer.Length} bytes buffered)");
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Writes and flushes one frame.</summary>
    internal static async ValueTask WriteOneAsync(PipeWriter writer, Frame frame, CancellationToken ct)
    {
        Write(writer, frame, frame.CalculateSize());
        await writer.FlushAsync(ct).ConfigureAwait(false);
    }
}
