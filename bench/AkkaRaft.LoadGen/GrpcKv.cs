using System.Text.Json;
using AkkaRaft.Grpc.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace AkkaRaft.LoadGen;

/// <summary>
/// <c>--target grpc</c>: puts and gets through AkkaRaft's gRPC <c>Kv</c> service (<c>protos/kv.proto</c>), sent to the
/// leader's gRPC address as its <c>/status</c> names it. HTTP/2 multiplexes the calls of many clients over one
/// connection; one channel (one connection) per 16 clients keeps a single connection's stream limit and its one
/// reading loop from being what is measured.
/// </summary>
internal sealed class GrpcKv : IDisposable
{
    private const int ClientsPerChannel = 16;
    private readonly GrpcChannel[] _channels;
    private readonly Kv.KvClient[] _clients;
    private readonly ReadLevel _level;

    private GrpcKv(GrpcChannel[] channels, ReadLevel level)
    {
        _channels = channels;
        _clients = [.. channels.Select(c => new Kv.KvClient(c))];
        _level = level;
    }

    /// <summary>Finds the leader's gRPC address through <paramref name="endpoint"/>'s <c>/status</c> and opens the channels.</summary>
    /// <exception cref="HttpRequestException">No leader, or the leader advertises no gRPC address.</exception>
    public static async Task<GrpcKv> ConnectAsync(HttpClient http, string endpoint, int clients, string level, CancellationToken cancellationToken)
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync(endpoint + "/status", cancellationToken).ConfigureAwait(false));
        var root = document.RootElement;
        var leader = root.GetProperty("leader").GetString() ?? throw new HttpRequestException($"{endpoint} knows no leader yet");
        var address = root.GetProperty("members").EnumerateArray()
                          .Where(m => m.GetProperty("id").GetString() == leader && m.TryGetProperty("grpcAddress", out var g) && g.ValueKind == JsonValueKind.String)
                          .Select(m => m.GetProperty("grpcAddress").GetString())
                          .FirstOrDefault()
                      ?? throw new HttpRequestException($"the leader {leader} advertises no gRPC address (akkaraft.grpc.address is off there)");
        var channels = Enumerable.Range(0, (clients + ClientsPerChannel - 1) / ClientsPerChannel)
            .Select(_ => GrpcChannel.ForAddress("http://" + address, new GrpcChannelOptions { MaxReceiveMessageSize = null }))
            .ToArray();
        return new GrpcKv(channels, level switch
        {
            "stale" => ReadLevel.Stale,
            "consistent" => ReadLevel.Consistent,
            _ => ReadLevel.Default,
        });
    }

    /// <summary>Client <paramref name="client"/>'s put of <paramref name="value"/> (a get when null); whether it was answered OK.</summary>
    public async Task<bool> SendAsync(int client, string key, string? value, CancellationToken cancellationToken)
    {
        var kv = _clients[client / ClientsPerChannel];
        try
        {
            if (value is null)
            {
                await kv.GetAsync(new GetRequest { Key = ByteString.CopyFromUtf8(key), Level = _level }, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await kv.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value) }, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            return true;
        }
        catch (RpcException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        foreach (var channel in _channels) channel.Dispose();
    }
}
