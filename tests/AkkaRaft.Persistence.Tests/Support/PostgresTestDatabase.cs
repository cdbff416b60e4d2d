using System.Net.Sockets;
using Npgsql;

namespace AkkaRaft.Persistence.Tests.Support;

/// <summary>
/// The PostgreSQL server the tests use: <c>AKKARAFT_PG_CONNECTION</c>, or the local server <c>.ci/postgres.sh</c> starts.
/// Each test gets a schema of its own (unique per run), dropped when the test ends, so runs and tests never collide.
/// When the server is unreachable the tests FAIL with instructions; they never skip.
/// </summary>
internal static class PostgresTestDatabase
{
    private const string DefaultConnection = "Host=127.0.0.1;Port=5432;Username=akkaraft;Password=akkaraft;Database=akkaraft_test";

    private static readonly string RunId = Guid.NewGuid().ToString("N")[..10];
    private static int _schemaCounter;

    public static string ConnectionString =>
        Environment.GetEnvironmentVariable("AKKARAFT_PG_CONNECTION") is { Length: > 0 } configured ? configured : DefaultConnection;

    /// <summary>A schema name no other test or run uses.</summary>
    public static string NewSchemaName() => $"akkaraft_t_{RunId}_{Interlocked.Increment(ref _schemaCounter)}";

    /// <summary>Throws a clear error when the server cannot be reached.</summary>
    public static async Task EnsureReachableAsync()
    {
        try
        {
            await using var connection = new NpgsqlConnection(ConnectionString);
            await connection.OpenAsync();
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException)
        {
            var builder = new NpgsqlConnectionStringBuilder(ConnectionString);
            throw new InvalidOperationException(
                $"PostgreSQL is not reachable at {builder.Host}:{builder.Port} (database {builder.Database}, user {builder.Username}): {e.Message}. " +
                "Start the local server with `bash .ci/postgres.sh` (as root the first time), or set AKKARAFT_PG_CONNECTION to a reachable server. " +
                "The PostgreSQL tests never skip.", e);
        }
    }

    public static async Task DropSchemaAsync(string schema)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE;", connection);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
