using System.Data.Common;

namespace AkkaRaft.Configuration.Tests;

/// <summary>Which settings are secrets, and how showing the configuration masks them (SecretSettings).</summary>
public sealed class SecretSettingsTests
{
    private const string Mask = SecretSettings.Mask;

    [Theory]
    [InlineData("akkaraft.remote.tls.certificate-password")]
    [InlineData("akkaraft.http.tls.certificate-password")]
    [InlineData("akkaraft.some-future-section.key-password")]
    [InlineData("akka.remote.dot-netty.tcp.ssl.certificate.password")]
    [InlineData("akkaraft.persistence.postgresql.connection-string")]
    [InlineData("akka.persistence.journal.sql.connection-string")]
    [InlineData("akka.persistence.snapshot-store.sql.connection-string")]
    public void Passwords_and_connection_strings_are_secret_wherever_they_are(string path)
    {
        Assert.True(SecretSettings.IsSecret(path), $"{path} should be secret");
    }

    [Theory]
    [InlineData("akkaraft.http.auth.tokens")]
    [InlineData("akkaraft.http.auth.token-file")]
    [InlineData("akkaraft.http.auth.node-token-path")]
    [InlineData("akkaraft.http.tls.certificate-path")]
    [InlineData("akkaraft.node.id")]
    [InlineData("akkaraft.password-policy.min-length")]
    [InlineData("akka.remote.dot-netty.tcp.ssl.certificate.use-thumbprint-over-file")]
    public void Token_hashes_paths_and_other_settings_are_not_secret(string path)
    {
        Assert.False(SecretSettings.IsSecret(path), $"{path} should not be secret");
    }

    [Fact]
    public void The_reference_configuration_holds_exactly_three_secrets()
    {
        // A new secret setting under a name the rule does not know would show in clear: this list is where its
        // author notices, and either names it *-password or extends SecretSettings.
        var secrets = ConfigurationFactory.Default().AsEnumerable().Select(s => s.Key).Where(SecretSettings.IsSecret).ToList();

        Assert.Equal(
            ["akkaraft.persistence.postgresql.connection-string", "akkaraft.remote.tls.certificate-password", "akkaraft.http.tls.certificate-password"],
            secrets);
    }

    [Fact]
    public void A_set_password_is_masked_in_json_and_hocon_and_an_empty_one_stays_empty()
    {
        var config = ConfigurationFactory.ParseString(
            """
            akkaraft.remote.tls.certificate-password = "hunter2"
            akkaraft.http.tls.certificate-password = ""
            akka.remote.dot-netty.tcp.ssl.certificate.password = 123456
            akkaraft.node.id = node-7
            """).WithSecretsMasked();

        Assert.Equal(Mask, config.GetString("akkaraft.remote.tls.certificate-password"));
        Assert.Equal("", config.GetString("akkaraft.http.tls.certificate-password"));
        Assert.Equal(Mask, config.GetString("akka.remote.dot-netty.tcp.ssl.certificate.password"));
        Assert.Equal("node-7", config.GetString("akkaraft.node.id"));
        foreach (var shown in new[] { config.ToJson(), config.ToHocon(), config.ToHocon(withOrigins: true) })
        {
            Assert.DoesNotContain("hunter2", shown);
            Assert.DoesNotContain("123456", shown);
        }
    }

    [Fact]
    public void Masking_keeps_where_each_value_came_from()
    {
        var config = ConfigurationFactory.ParseString("akkaraft.http.tls.certificate-password = hunter2", "user.conf").WithSecretsMasked();

        Assert.Contains("# user.conf:1:42\n      certificate-password = \"<redacted>\"", config.ToHocon(withOrigins: true));
    }

    [Fact]
    public void A_null_password_stays_null()
    {
        var config = ConfigurationFactory.ParseString("akkaraft.http.tls.certificate-password = null").WithSecretsMasked();

        Assert.False(config.HasPath("akkaraft.http.tls.certificate-password"));
    }

    [Theory]
    [InlineData("Host=db;Username=u;Password=p;Database=d", "Host=db;Username=u;Password=<redacted>;Database=d")]
    [InlineData("Host=h;Port=5432;Password=a=b;", "Host=h;Port=5432;Password=<redacted>;")]
    [InlineData("Host=db;Password=\"a;b#c\"", "Host=db;Password=<redacted>")]
    [InlineData("Server=x; User Id=u; pwd = 'it''s;secret' ;Database=d", "Server=x; User Id=u; pwd = <redacted> ;Database=d")]
    [InlineData("PSW=s3cret;Host=db", "PSW=<redacted>;Host=db")]
    [InlineData("a==b=1;Password=p", "a==b=1;Password=<redacted>")]
    [InlineData("Host=db;Password='never closed;Database=d", "Host=db;Password=<redacted>")]
    public void The_password_inside_a_connection_string_is_masked_and_the_rest_kept(string connectionString, string shown)
    {
        Assert.Equal(shown, SecretSettings.MaskConnectionStringPassword(connectionString));
    }

    [Theory]
    [InlineData("Host=db;Username=u;Database=d")]
    [InlineData("Host=db;Password=;Database=d")]
    [InlineData("Data Source=/var/lib/akkaraft/journal.db;Cache=Shared")]
    [InlineData("")]
    public void A_connection_string_without_a_password_is_shown_as_written(string connectionString)
    {
        Assert.Same(connectionString, SecretSettings.MaskConnectionStringPassword(connectionString));
    }

    [Theory]
    [InlineData("Host=db;Username=u;Password=p;Database=d")]
    [InlineData("Host = db ; Password = \"x;y\"\"z\" ; Port=5432")]
    [InlineData("Server=x;PWD='a=b;c';Application Name='my app';Timeout=30")]
    public void A_masked_connection_string_reads_back_as_the_same_settings_with_the_password_masked(string connectionString)
    {
        // DbConnectionStringBuilder is the parser Npgsql and SQL Server's builders build on.
        var original = new DbConnectionStringBuilder { ConnectionString = connectionString };
        var masked = new DbConnectionStringBuilder { ConnectionString = SecretSettings.MaskConnectionStringPassword(connectionString) };

        Assert.Equal(original.Keys.Cast<string>(), masked.Keys.Cast<string>());
        foreach (string key in original.Keys)
        {
            var expected = key is "password" or "pwd" ? Mask : original[key];
            Assert.Equal(expected, masked[key]);
        }
    }
}
