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
/// RESOURCE_EXHAUSTED naming the setting. The body is read once (at most that many bytes and the 5-byte frame
/// header) and handed on to Grpc.AspNetCore as it came; a well-formed message is parsed twice, which costs far less
/// than the write or read it carries.
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

        var body = await ReadAsync(context.Request.Body, HeaderBytes + maxMessageBytes + 1, context.RequestAborted).ConfigureAwait(false);
        var problem = Check(body, descriptor.InputType, context.Request.Headers["grpc-encoding"].Count > 0);
        if (problem is { } refusal)
        {
            Refuse(context.Response, refusal.Code, refusal.Detail);
            return;
        }

        context.Request.Body = new MemoryStream(body, writable: false);
        await next().ConfigureAwait(false);
    }

    private (StatusCode Code, string Detail)? Check(byte[] body, MessageDescriptor input, bool encoded)
    {
        if (body.Length < HeaderBytes)
        {
            return (StatusCode.InvalidArgument, $"the request holds no complete {input.FullName} frame: {body.Length} bytes, fewer than the 5-byte frame header (compressed flag, length)");
        }

        var declared = BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(1, 4));
        if (declared > (uint)maxMessageBytes)
        {
            return (StatusCode.ResourceExhausted, $"the {input.FullName} message is {declared} bytes, more than akkaraft.grpc.max-message-bytes ({maxMessageBytes}); nothing was done");
        }

        if (body[0] > 1) return (StatusCode.InvalidArgument, $"the frame's compressed flag is {body[0]}; it must be 0 or 1");
        var carried = body.Length - HeaderBytes;
        if (carried < declared) return (StatusCode.InvalidArgument, $"the {input.FullName} message is incomplete: its frame declares {declared} bytes and {carried} came");
        if (carried > declared) return (StatusCode.InvalidArgument, $"more follows the {input.FullName} message ({carried - declared} bytes): a unary or server-streaming call takes one message");
        if (body[0] == 1)
        {
            // A compressed message is Grpc.AspNetCore's to decompress (and refuse when it cannot), when it knows how.
            return encoded ? null : (StatusCode.InvalidArgument, "the message is marked compressed but the request names no grpc-encoding");
        }

        try
        {
            input.Parser.ParseFrom(body.AsSpan(HeaderBytes));
            return null;
        }
        catch (InvalidProtocolBufferException e)
        {
            return (StatusCode.InvalidArgument, $"the request is not a valid {input.FullName} message: {e.Message}");
        }
    }

    /// <summary>Reads the body, stopping past <paramref name="limit"/> bytes (the message is then refused as too large).</summary>
    private static async Task<byte[]> ReadAsync(Stream body, int limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while (buffer.Length < limit && (read = await body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
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
