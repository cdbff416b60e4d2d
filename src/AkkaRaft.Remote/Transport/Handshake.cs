using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text;
using AkkaRaft.Remote.Wire;
using Google.Protobuf;

namespace AkkaRaft.Remote.Transport;

/// <summary>
/// The cluster-secret handshake, run on every connection before anything else is read.
/// Challenge–response both ways with HMAC-SHA256 over fresh 32-byte nonces:
/// client → Hello(nonceC); server → Challenge(nonceS, HMAC(secret, "server"‖nonceC‖nonceS));
/// client checks it, → Proof(HMAC(secret, "client"‖nonceS‖nonceC)); server checks it, → HandshakeResult.
/// The secret itself never crosses the wire, and a replayed proof is useless against a fresh nonce.
/// </summary>
internal static class Handshake
{
    internal const int NonceBytes = 32;

    /// <summary>
    /// Largest handshake frame, in bytes: two addresses and a nonce fit many times over. Fixed by the protocol rather
    /// than configured, so an unauthenticated peer can never make this system buffer a full-size frame.
    /// </summary>
    internal const int FrameBytesMax = 2048;
    private static readonly byte[] ServerLabel = "akkaraft-remote-server"u8.ToArray();
    private static readonly byte[] ClientLabel = "akkaraft-remote-client"u8.ToArray();

    internal sealed record Accepted(RemoteAddress Peer, ConnectionPurpose Purpose);

    /// <summary>Client side; returns when the server has accepted the connection.</summary>
    /// <exception cref="RemoteProtocolException">The server failed its proof, sent something else, or refused us.</exception>
    internal static async Task RunClientAsync(PipeReader reader, PipeWriter writer, byte[] secret, RemoteAddress local,
        RemoteAddress target, ConnectionPurpose purpose, int maxFrameBytes, CancellationToken ct)
    {
        var clientNonce = RandomNumberGenerator.GetBytes(NonceBytes);
        await FrameCodec.WriteOneAsync(writer, new Frame
        {
            Hello = new Hello
            {
                From = local.ToWire(), To = target.ToWire(), ClientNonce = ByteString.CopyFrom(clientNonce), Purpose = purpose,
            },
        }, ct).ConfigureAwait(false);

        var frame = await FrameCodec.ReadOneAsync(reader, Math.Min(maxFrameBytes, FrameBytesMax), ct).ConfigureAwait(false);
        if (frame.BodyCase == Frame.BodyOneofCase.HandshakeResult)
        {
            throw Refused(frame.HandshakeResult);
        }
        if (frame.BodyCase != Frame.BodyOneofCase.Challenge)
        {
            throw new RemoteProtocolException(CloseReason.HandshakeFailed, $"expected Challenge from {target}, got {frame.BodyCase}");
        }
        var serverNonce = frame.Challenge.ServerNonce.ToByteArray();
        if (serverNonce.Length != NonceBytes)
        {
            throw new RemoteProtocolException(CloseReason.HandshakeFailed, $"server nonce of {serverNonce.Length} bytes, expected {NonceBytes}");
        }
        var expected = Mac(secret, ServerLabel, clientNonce, serverNonce);
        if (!CryptographicOperations.FixedTimeEquals(expected, frame.Challenge.ServerMac.Span))
        {
            throw new RemoteProtocolException(CloseReason.HandshakeFailed, $"{target} does not know the cluster secret");
        }
        await FrameCodec.WriteOneAsync(writer, new Frame
        {
            Proof = new Proof { ClientMac = ByteString.CopyFrom(Mac(secret, ClientLabel, serverNonce, clientNonce)) },
        }, ct).ConfigureAwait(false);

        var result = await FrameCodec.ReadOneAsync(reader, Math.Min(maxFrameBytes, FrameBytesMax), ct).ConfigureAwait(false);
        if (result.BodyCase != Frame.BodyOneofCase.HandshakeResult)
        {
            throw new RemoteProtocolException(CloseReason.HandshakeFailed, $"expected HandshakeResult from {target}, got {result.BodyCase}");
        }
        if (!result.HandshakeResult.Accepted)
        {
            throw Refused(result.HandshakeResult);
        }
    }

    /// <summary>
    /// Server side up to (not including) the HandshakeResult, which the caller sends once it has decided
    /// whether to keep the connection. A client that fails the proof is told so and refused here.
    /// </summary>
    /// <exception cref="RemoteProtocolException">Anything but a correct Hello then Proof.</exception>
    internal static async Task<Accepted> RunServerAsync(PipeReader reader, PipeWriter writer, byte[] secret, RemoteAddress local,
        int maxFrameBytes, CancellationToken ct)
    {
        var frame = await FrameCodec.ReadOneAsync(reader, Math.Min(maxFrameBytes, FrameBytesMax), ct).ConfigureAwait(false);
        if (frame.BodyCase != Frame.BodyOneofCase.Hello)
        {
            throw new RemoteProtocolException(CloseReason.HandshakeFailed, $"first frame was {frame.BodyCase}, expected Hello");
        }
        var hello = frame.Hello;
        var peer = RemoteAddress.FromWire(hello.From)
            ?? throw new RemoteProtocolException(CloseReason.HandshakeFailed, "Hello carries no valid address");
        if (hello.To is null || hello.To.System != local.System)
        {
            throw new RemoteProtocolException(CloseReason.HandshakeFailed,
                $"{peer} addressed system '{hello.To?.System}', this is '{local.System}'");
        }
        if (hello.Purpose is not (ConnectionPurpose.Messages or ConnectionPurpose.Bulk))
        {
            throw new RemoteProtocolException(CloseReason.HandshakeFailed, $"{peer} asked for unknown purpose {hello.Purpose}");
        }
        var clientNonce = hello.ClientNonce.ToByteArray();
        if (clientNonce.Length != NonceBytes)
        {
            throw new RemoteProtocolException(CloseReason.HandshakeFailed, $"client nonce of {clientNonce.Length} bytes, expected {NonceBytes}");
        }
        var serverNonce = RandomNumberGenerator.GetBytes(NonceBytes);
        await FrameCodec.WriteOneAsync(writer, new Frame
        {
            Challenge = new Challenge
            {
                From = local.ToWire(),
                ServerNonce = ByteString.CopyFrom(serverNonce),
                ServerMac = ByteString.CopyFrom(Mac(secret, ServerLabel, clientNonce, serverNonce)),
            },
        }, ct).ConfigureAwait(false);

        Frame proof;
        try
        {
            proof = await FrameCodec.ReadOneAsync(reader, Math.Min(maxFrameBytes, FrameBytesMax), ct).ConfigureAwait(false);
        }
        catch (RemoteProtocolException e) when (e.Reason == CloseReason.PeerClosed)
        {
            // A client hangs up here when our Challenge fails its check: it does not share our secret.
            throw new RemoteProtocolException(CloseReason.HandshakeFailed,
                $"{peer} hung up instead of sending its Proof (it does not accept our cluster secret)", e);
        }
        if (proof.BodyCase != Frame.BodyOneofCase.Proof)
        {
            throw new RemoteProtocolException(CloseReason.HandshakeFailed, $"{peer} sent {proof.BodyCase} instead of Proof");
        }
        var expected = Mac(secret, ClientLabel, serverNonce, clientNonce);
        if (!CryptographicOperations.FixedTimeEquals(expected, proof.Proof.ClientMac.Span))
        {
            // Tell the client why before hanging up, so its operator sees "wrong secret" rather than a reset.
            await FrameCodec.WriteOneAsync(writer, new Frame
            {
                HandshakeResult = new HandshakeResult { Accepted = false, Reason = "wrong cluster secret" },
            }, ct).ConfigureAwait(false);
            throw new RemoteProtocolException(CloseReason.HandshakeFailed, $"{peer} does not know the cluster secret");
        }
        return new Accepted(peer, hello.Purpose);
    }

    internal static byte[] SecretKey(string secret) => Encoding.UTF8.GetBytes(secret);

    private static byte[] Mac(byte[] secret, byte[] label, byte[] first, byte[] second)
    {
        var data = new byte[label.Length + first.Length + second.Length];
        label.CopyTo(data, 0);
        first.CopyTo(data, label.Length);
        second.CopyTo(data, label.Length + first.Length);
        return HMACSHA256.HashData(secret, data);
    }

    private static RemoteProtocolException Refused(HandshakeResult result) =>
        result.Reason.StartsWith("duplicate", StringComparison.Ordinal)
            ? new RemoteProtocolException(CloseReason.Duplicate, $"refused by peer: {result.Reason}")
            : new RemoteProtocolException(CloseReason.HandshakeFailed, $"refused by peer: {result.Reason}");
}
