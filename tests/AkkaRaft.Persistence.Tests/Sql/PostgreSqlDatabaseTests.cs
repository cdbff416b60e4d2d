using AkkaRaft.Persistence.Journal;
using AkkaRaft.Persistence.Sql.PostgreSql;
using AkkaRaft.Persistence.Tests.Support;

namespace AkkaRaft.Persistence.Tests.Sql;

public sealed class PostgreSqlDatabaseTests : IAsyncLifetime
{
    private readonly string _schema = PostgresTestDatabase.NewSchemaName();

    public Task InitializeAsync() => PostgresTestDatabase.EnsureReachableAsync();

    public Task DisposeAsync() => PostgresTestDatabase.DropSchemaAsync(_schema);

    [Fact]
    public async Task Opening_creates_the_schema_at_version_1_and_commits_wait_for_the_wal_flush()
    {
        await using var database = await PostgreSqlDatabase.OpenAsync(PostgresTestDatabase.ConnectionString, _schema);

        await using var command = database.DataSource.CreateCommand($"SELECT MAX(version) FROM {_schema}.schema_version;");
        Assert.Equal(1, (int)(await command.ExecuteScalarAsync())!);
        Assert.True(database.CommitFlushes);
    }

    [Fact]
    public async Task A_schema_with_a_newer_version_is_refused_clearly()
    {
        await (await PostgreSqlDatabase.OpenAsync(PostgresTestDatabase.ConnectionString, _schema)).DisposeAsync();
        await PostgresTestDatabase.ExecuteAsync($"INSERT INTO {_schema}.schema_version (version) VALUES (9);");

        var error = await Assert.ThrowsAsync<PersistenceSchemaException>(
            () => PostgreSqlDatabase.OpenAsync(PostgresTestDatabase.ConnectionString, _schema));

        Assert.Contains("version 9", error.Message);
        Assert.Contains($"'{_schema}'", error.Message);
    }

    [Theory]
    [InlineData("Robert'); DROP TABLE x;--")]
    [InlineData("UpperCase")]
    [InlineData("")]
    public async Task A_schema_name_that_is_not_a_plain_identifier_is_refused(string schema)
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(() => PostgreSqlDatabase.OpenAsync(PostgresTestDatabase.ConnectionString, schema));
    }

    [Fact]
    public async Task Opening_the_same_schema_from_several_nodes_at_once_creates_it_once()
    {
        var databases = await Task.WhenAll(Enumerable.Range(0, 4)
            .Select(_ => PostgreSqlDatabase.OpenAsync(PostgresTestDatabase.ConnectionString, _schema)));

        await using var command = databases[0].DataSource.CreateCommand($"SELECT COUNT(*) FROM {_schema}.schema_version;");
        Assert.Equal(1L, (long)(await command.ExecuteScalarAsync())!);
        foreach (var database in databases)
        {
            await database.DisposeAsync();
        }
    }
}
