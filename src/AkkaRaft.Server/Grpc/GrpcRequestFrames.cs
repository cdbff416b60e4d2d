using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using AkkaRaft.Grpc.V1;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.AspNetCore.Server;
using Grpc.Core;

namespace AkkaRaft.Server.Grpc;

/// <summary>
/// Checks the one request message of a unary or server-streaming call before Grpc.AspNetCore reads it, so that a
/// malformed request is the client's error, named as such: Grpc.AspNetCore answers a truncated frame, a frame with
/// more after it, a compressed frame without <c>grpc-encoding</c> with INTERNAL, and bytes that are not the method's
/// message type with UNKNOWN, which tell a client the server failed. Here they are INVALID_ARGUMENT (the frame, or
/// the message type and the parser's reason), and a message over <c>akkaraft.grpc.max-message-bytes</c> is
/// RESOURCE_EXHAUSTED naming the setting (before its bytes are read). The frame is read once into one buffer of its
/// size and handed on to Grpc.AspNetCore as it came; a well-formed message is parsed twice, which costs far less than
/// the write or read it carries.
/// </summary>
internal sealed class GrpcRequestFrames(int maxMessageBytes)
{
    /// <summary>Every service of the protos by full name (akkaraft.v1.Kv), for a method's input type.</summary>
    private static readonly Dictionary<string, Google.Protobuf.Reflection.ServiceDescriptor> Services =
        new[] { ClusterReflection.Descriptor, KvReflection.Descriptor, SessionReflection.Descriptor, StatemachineReflection.Descriptor, TimeseriesReflection.Descriptor }
            .SelectMany(file => file.Services).ToDictionary(s => s.FullName, StringComparer.Ordinal);

    private const int HeaderBytes = 5;

    /// <summary>The middleware; runs after routing, so the endpoint names the method.</summary>
    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var method = context.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>()?.Method;
        if (method is null || method.Type is MethodType.ClientStreaming or MethodType.DuplexStreaming
            || !Services.TryGetValue(method.ServiceName, out var service) || service.FindMethodByName(method.Name) is not { } descriptor)
        {
            await next().ConfigureAwait(false);
            return;
        }

        var (frame, problem) = await ReadFrameAsync(context.Request.Body, descriptor.InputType, context.Request.Headers["grpc-encoding"].Count > 0, context.RequestAborted).ConfigureAwait(false);
        if (problem is { } refusal)
        {
            Refuse(context.Response, refusal.Code, refusal.Detail);
            return;
        }

        context.Request.Body = new MemoryStream(frame!, writable: false);
        await next().ConfigureAwait(false);
    }

    /// <summary>
    /// Reads the one frame: its 5-byte header, then exactly the message it declares (one allocation of its size), then
    /// makes sure nothing follows; the frame, or why it is refused.
    /// </summary>
    private async Task<(byte[]? Frame, (StatusCode Code, string Detail)? Problem)> ReadFrameAsync(Stream body, MessageDescriptor input, bool encoded, CancellationToken cancellationToken)
    {
        var header = new byte[HeaderBytes];
        var got = await ReadFullyAsync(body, header, cancellationToken).ConfigureAwait(false);
        if (got < HeaderBytes)
        {
            return (null, (StatusCode.InvalidArgument, $"the request holds no complete {input.FullName} frame: {got} bytes, fewer than the 5-byte frame header (compressed flag, length)"));
        }

        var declared = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1, 4));
        if (declared > (uint)maxMessageBytes)
        {
            return (null, (StatusCode.ResourceExhausted, $"the {input.FullName} message is {declared} bytes, more than akkaraft.grpc.max-message-bytes ({maxMessageBytes}); nothing was done"));
        }

        if (header[0] > 1) return (null, (StatusCode.InvalidArgument, $"the frame's compressed flag is {header[0]}; it must be 0 or 1"));
        var frame = new byte[HeaderBytes + (int)declared];
        header.CopyTo(frame, 0);
        var carried = await ReadFullyAsync(body, frame.AsMemory(HeaderBytes), cancellationToken).ConfigureAwait(false);
        if (carried < declared) return (null, (StatusCode.InvalidArgument, $"the {input.FullName} message is incomplete: its frame declares {declared} bytes and {carried} came"));
        var extra = await CountRestAsync(body, maxMessageBytes + 1, cancellationToken).ConfigureAwait(false);
        if (extra > 0) return (null, (StatusCode.InvalidArgument, $"more follows the {input.FullName} message ({extra} bytes): a unary or server-streaming call takes one message"));
        if (header[0] == 1)
        {
            // A compressed message is Grpc.AspNetCore's to decompress (and refuse when it cannot), when it knows how.
            return encoded ? (frame, null) : (null, (StatusCode.InvalidArgument, "the message is marked compressed but the request names no grpc-encoding"));
        }

        try
        {
            input.Parser.ParseFrom(frame.AsSpan(HeaderBytes));
            return (frame, null);
        }
        catch (InvalidProtocolBufferException e)
        {
            return (null, (StatusCode.InvalidArgument, $"the request is not a valid {input.FullName} message: {e.Message}"));
        }
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the body ends; how many bytes came.</summary>
    private static async Task<int> ReadFullyAsync(Stream body, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var total = 0;
        int read;
        while (total < buffer.Length && (read = await body.ReadAsync(buffer[total..], cancellationToken).ConfigureAwait(false)) > 0) total += read;
        return total;
    }

    /// <summary>How many bytes are left in the body, counting at most to <paramref name="limit"/> (0 for a well-formed call).</summary>
    private static async Task<long> CountRestAsync(Stream body, int limit, CancellationToken cancellationToken)
    {
        long total = 0;
        var chunk = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            int read;
            while (total < limit && (read = await body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0) total += read;
            return total;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    /// <summary>A trailers-only gRPC answer: HTTP 200 with the status in the headers.</summary>
    internal static void Refuse(HttpResponse response, StatusCode code, string detail)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = ((int)code).ToString(CultureInfo.InvariantCulture);
        // grpc-message is percent-encoded (gRPC over HTTP/2: Status-Message).
        response.Headers["grpc-message"] = Uri.EscapeDataString(detail);
    }
}
