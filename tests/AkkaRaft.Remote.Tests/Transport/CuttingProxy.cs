using System.Net;
using System.Net.Sockets;

namespace AkkaRaft.Remote.Tests.Transport;

/// <summary>
/// A TCP relay standing in for the network: the first connection is cut (both sides closed) after
/// <c>cutAfterBytes</c> bytes from the client; later connections pass untouched.
/// </summary>
internal sealed class CuttingProxy : IAsyncDisposable
{
    private readonly Socket _listener = new(SocketType.Stream, ProtocolType.Tcp);
    private readonly CancellationTokenSource _stop = new();
    private readonly int _target;
    private long _cutAfterBytes;

    public CuttingProxy(int target, long cutAfterBytes)
    {
        _target = target;
        _cutAfterBytes = cutAfterBytes;
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen();
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _ = Task.Run(AcceptAsync);
    }

    public int Port { get; }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            var limit = Interlocked.Exchange(ref _cutAfterBytes, long.MaxValue);
            _ = Task.Run(() => RelayAsync(client, limit));
        }
    }

    private async Task RelayAsync(Socket client, long limit)
    {
        using var server = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await server.ConnectAsync(IPAddress.Loopback, _target);
        using (client)
        {
            var up = PumpAsync(client, server, limit);
            var down = PumpAsync(server, client, long.MaxValue);
            await Task.WhenAny(up, down);
            client.Close();
            server.Close();
            await Task.WhenAll(up, down);
        }
    }

    private static async Task PumpAsync(Socket from, Socket to, long limit)
    {
        var buffer = new byte[256 * 1024];
        var passed = 0L;
        try
        {
            while (passed < limit)
            {
                var n = await from.ReceiveAsync(buffer, SocketFlags.None);
                if (n == 0) return;
                var allowed = (int)Math.Min(n, limit - passed);
                await to.SendAsync(buffer.AsMemory(0, allowed), SocketFlags.None);
                passed += allowed;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The other direction closed both sockets.
        }
    }

    public ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        return ValueTask.CompletedTask;
    }
}
