using System.Net.Sockets;
using System.Text;

namespace AkkaRaft.Server.Tests.Fuzz;

/// <summary>The answer to a raw request: its status (0 when the node closed without one) and its text.</summary>
internal sealed record RawAnswer(int Status, string Text);

/// <summary>
/// HTTP/1.1 written byte by byte on a socket of its own (<c>Connection: close</c>), so that a request can carry what
/// HttpClient would refuse to send: raw bytes in the path, NUL in a header, broken chunked framing, a body shorter
/// than its Content-Length.
/// </summary>
internal static class RawHttp
{
    /// <summary>
    /// Sends <paramref name="request"/> to <paramref name="target"/>, closes the sending side when
    /// <paramref name="halfClose"/> (the node then sees the body end early), and reads until the node closes.
    /// </summary>
    /// <exception cref="TimeoutException">No complete answer within <paramref name="timeout"/>.</exception>
    public static async Task<RawAnswer> SendAsync(string target, byte[] request, bool halfClose, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        using var socket = await Limits.LoopbackClients.ConnectAsync("127.0.0.1", target);
        try
        {
            await socket.SendAsync(request, SocketFlags.None, cancel.Token);
            if (halfClose) socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // The node may answer (413, 431) and close before it has read everything: read what it said.
        }

        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancel.Token);
                if (read == 0) break;
                received.Write(buffer, 0, read);
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no answer within {timeout.TotalSeconds}s; received so far: {Shown(received)}");
        }
        catch (SocketException)
        {
            // A reset after the answer (the node closed with unread request bytes): keep what arrived.
        }

        var text = Encoding.Latin1.GetString(received.ToArray());
        var status = text.Length >= 12 && text.StartsWith("HTTP/1.", StringComparison.Ordinal)
            && int.TryParse(text.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture, out var code) ? code : 0;
        return new RawAnswer(status, text);
    }

    private static string Shown(MemoryStream received)
    {
        var text = Encoding.Latin1.GetString(received.ToArray());
        return text.Length <= 300 ? text : text[..300];
    }
}
