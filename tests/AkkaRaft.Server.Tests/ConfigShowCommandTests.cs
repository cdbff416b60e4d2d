using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using AkkaRaft.Configuration;
using AkkaRaft.Server.Cli;

namespace AkkaRaft.Server.Tests;

/// <summary>`akkaraft config show`, run in-process with captured output, and once as the built executable.</summary>
public sealed class ConfigShowCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "akkaraft-cli-" + Guid.NewGuid().ToString("N"));

    public ConfigShowCommandTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static (int Exit, string Out, string Err) Run(IDictionary<string, string?> environment, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = AkkaRaftCommandLine.Run(args, new CliEnvironment(environment), new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    private static (int Exit, string Out, string Err) Run(params string[] args) => Run(new Dictionary<string, string?>(), args);

    [Fact]
    public void Help_should_list_the_commands()
    {
        var (exit, output, error) = Run("--help");
        Assert.Equal(0, exit);
        Assert.Contains("Usage:", output);
        Assert.Contains("config", output);
        Assert.Contains("serve", output);
        Assert.Contains("cluster", output);
        Assert.Equal("", error);
    }

    [Fact]
    public void The_config_group_alone_should_print_its_help()
    {
        var (exit, output, _) = Run("config");
        Assert.Equal(0, exit);
        Assert.Contains("show", output);
        Assert.Contains("Print the resolved configuration", output);
    }

    [Fact]
    public void Show_should_print_the_reference_configuration_as_hocon_that_parses_back()
    {
        // With --show-secrets, since the default PostgreSQL connection string holds a password.
        var (exit, output, error) = Run("config", "show", "--show-secrets");
        Assert.Equal((0, ""), (exit, error));
        Assert.Contains("data-dir = \"./data\"", output);
        Assert.Equal(ConfigurationFactory.Default().ToJson(), ConfigurationFactory.ParseString(output).ToJson());
    }

    [Fact]
    public void Show_should_mask_a_password_set_on_the_command_line_in_hocon_json_and_origins()
    {
        string[] set = ["--set", "akkaraft.remote.tls.certificate-password=hunter2"];
        var hocon = Run(["config", "show", .. set]);
        var json = Run(["config", "show", "--json", .. set]);
        var origins = Run(["config", "show", "--origins", .. set]);

        foreach (var (exit, output, error) in new[] { hocon, json, origins })
        {
            Assert.Equal((0, ""), (exit, error));
            Assert.DoesNotContain("hunter2", output);
        }

        Assert.Contains("certificate-password = \"<redacted>\"", hocon.Out);
        Assert.Equal("<redacted>", JsonDocument.Parse(json.Out).RootElement.GetProperty("akkaraft").GetProperty("remote").GetProperty("tls").GetProperty("certificate-password").GetString());
        Assert.Contains("# command-line option akkaraft.remote.tls.certificate-password\n      certificate-password = \"<redacted>\"", origins.Out);
    }

    [Fact]
    public void Show_should_mask_a_password_from_the_environment_or_a_substitution_in_the_file()
    {
        var file = Write("tls.conf", "akkaraft.http.tls.certificate-password = ${?AKKARAFT_HTTP_TLS_PASSWORD}");
        var environment = new Dictionary<string, string?>
        {
            ["AKKARAFT__REMOTE__TLS__CERTIFICATE_PASSWORD"] = "from-env-secret",
            ["AKKARAFT_HTTP_TLS_PASSWORD"] = "substituted-secret",
        };

        var (exit, output, error) = Run(environment, "config", "show", "--origins", "--file", file);

        Assert.Equal((0, ""), (exit, error));
        Assert.DoesNotContain("from-env-secret", output);
        Assert.DoesNotContain("substituted-secret", output);
        Assert.Contains("# environment variable AKKARAFT__REMOTE__TLS__CERTIFICATE_PASSWORD\n      certificate-password = \"<redacted>\"", output);
        Assert.Contains("# environment variable AKKARAFT_HTTP_TLS_PASSWORD\n      certificate-password = \"<redacted>\"", output);
    }

    [Fact]
    public void Show_secrets_should_print_the_password_in_clear()
    {
        var (exit, output, error) = Run("config", "show", "--show-secrets", "--set", "akkaraft.http.tls.certificate-password=hunter2");

        Assert.Equal((0, ""), (exit, error));
        Assert.Contains("certificate-password = hunter2", output);
        Assert.DoesNotContain("<redacted>", output);
    }

    [Fact]
    public void Show_should_print_an_empty_password_as_empty_so_that_an_unset_one_can_be_told_from_a_set_one()
    {
        var (exit, output, _) = Run("config", "show", "--json", "--set", "akkaraft.http.tls.certificate-password=\"\"");

        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(output);
        var akkaraft = json.RootElement.GetProperty("akkaraft");
        Assert.Equal("", akkaraft.GetProperty("http").GetProperty("tls").GetProperty("certificate-password").GetString());
        Assert.Equal("", akkaraft.GetProperty("remote").GetProperty("tls").GetProperty("certificate-password").GetString());
    }

    [Fact]
    public void Show_should_mask_the_password_inside_a_postgresql_connection_string_and_keep_the_rest()
    {
        var file = Write("pg.conf", """
            akkaraft.persistence {
              plugin = postgresql
              postgresql.connection-string = "Host=db.internal;Port=5433;Username=raft;Password=s3cr3t;Database=raft"
            }
            akka.persistence.journal.sql.connection-string = "Server=db2;User Id=sa;Pwd='x;y';Database=j"
            """);

        var (exit, output, error) = Run("config", "show", "--file", file);
        var clear = Run("config", "show", "--file", file, "--show-secrets");

        Assert.Equal((0, ""), (exit, error));
        Assert.DoesNotContain("s3cr3t", output);
        Assert.DoesNotContain("x;y", output);
        Assert.Contains("connection-string = \"Host=db.internal;Port=5433;Username=raft;Password=<redacted>;Database=raft\"", output);
        Assert.Contains("connection-string = \"Server=db2;User Id=sa;Pwd=<redacted>;Database=j\"", output);
        Assert.Contains("Password=s3cr3t", clear.Out);
    }

    [Fact]
    public void A_refused_connection_string_set_on_the_command_line_is_reported_without_its_password()
    {
        var (exit, output, error) = Run("config", "show", "--set", "akkaraft.persistence.postgresql.connection-string=\"Hots=db;Password=p4ss\"");

        Assert.Equal((2, ""), (exit, output));
        Assert.Contains("akkaraft.persistence.postgresql.connection-string: expected an Npgsql connection string", error);
        Assert.Contains("(command-line option akkaraft.persistence.postgresql.connection-string)", error);
        Assert.DoesNotContain("p4ss", error);
    }

    [Fact]
    public void A_mistyped_password_setting_is_reported_without_its_value()
    {
        var (exit, output, error) = Run("config", "show", "--set", "akkaraft.http.tls.certificate-pasword=hunter2");

        Assert.Equal((2, ""), (exit, output));
        Assert.Contains("akkaraft.http.tls.certificate-pasword (command-line option akkaraft.http.tls.certificate-pasword): did you mean certificate-password?", error);
        Assert.DoesNotContain("hunter2", error);
    }

    [Fact]
    public void Show_help_should_say_how_secrets_are_masked_and_how_to_see_them()
    {
        var (exit, output, _) = Run("config", "show", "--help");

        Assert.Equal(0, exit);
        Assert.Contains("--show-secrets", output);
        Assert.Contains("<redacted>", output);
    }

    [Fact]
    public void Show_with_json_should_print_valid_json()
    {
        var (exit, output, _) = Run("config", "show", "--json");
        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(output);
        Assert.Equal("node-1", json.RootElement.GetProperty("akkaraft").GetProperty("node").GetProperty("id").GetString());
    }

    [Fact]
    public void Show_should_apply_file_then_environment_then_set_options()
    {
        var file = Write("user.conf", "akkaraft.node { id = from-file, data-dir = /srv/raft }");
        var environment = new Dictionary<string, string?> { ["AKKARAFT__NODE__ID"] = "from-env" };

        var fromFile = Run("config", "show", "--json", "--file", file);
        Assert.Contains("\"data-dir\": \"/srv/raft\"", fromFile.Out);
        Assert.Contains("\"id\": \"from-file\"", fromFile.Out);

        var fromEnv = Run(environment, "config", "show", "--json", "-f", file);
        Assert.Contains("\"id\": \"from-env\"", fromEnv.Out);
        Assert.Contains("\"data-dir\": \"/srv/raft\"", fromEnv.Out);

        var fromOption = Run(environment, "config", "show", "--json", "-f", file, "--set", "akkaraft.node.id=from-option");
        Assert.Contains("\"id\": \"from-option\"", fromOption.Out);
        Assert.Equal(0, fromOption.Exit);
    }

    [Fact]
    public void Show_with_origins_should_say_where_each_value_came_from()
    {
        var file = Write("user.conf", "akkaraft.node.id = mine");
        var (exit, output, _) = Run("config", "show", "--origins", "--file", file);
        Assert.Equal(0, exit);
        Assert.Contains($"# {file}:1:20\n    id = mine", output);
        Assert.Matches(@"# reference\.conf:\d+:\d+\n    data-dir = ""\./data""", output);
    }

    [Fact]
    public void A_parse_error_should_print_one_message_with_file_line_and_column_and_exit_2()
    {
        var file = Write("bad.conf", "akkaraft {\n  node.id = [1,\n}");
        var (exit, output, error) = Run("config", "show", "--file", file);
        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Equal($"akkaraft: {file}:3:1: expected an array element or ']' to close the array opened at {file}:2:13, found '}}'{Environment.NewLine}", error);
    }

    [Fact]
    public void An_unknown_setting_should_be_reported_with_a_suggestion_and_exit_2()
    {
        var file = Write("typo.conf", "akkaraft.node.data_dir = /x");
        var (exit, _, error) = Run("config", "show", "--file", file);
        Assert.Equal(2, exit);
        Assert.Contains($"akkaraft.node.data_dir ({file}:1:1): did you mean data-dir?", error);
    }

    [Fact]
    public void A_value_the_settings_records_refuse_should_be_reported_and_exit_2()
    {
        var (exit, output, error) = Run("config", "show", "--set", "akkaraft.node.id=\"bad id\"");
        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Contains("akkaraft.node.id: expected 1 to 64 letters, digits, '-', '_' or '.', got 'bad id' (command-line option", error);
    }

    [Fact]
    public void A_missing_file_should_be_reported_and_exit_2()
    {
        var (exit, _, error) = Run("config", "show", "--file", Path.Combine(_dir, "absent.conf"));
        Assert.Equal(2, exit);
        Assert.Contains("absent.conf: cannot read the configuration file: no such file", error);
    }

    [Fact]
    public void A_set_option_without_equals_should_be_refused_with_exit_2()
    {
        var (exit, _, error) = Run("config", "show", "--set", "akkaraft.node.id");
        Assert.Equal(2, exit);
        Assert.Contains("--set akkaraft.node.id: expected path=value", error);
    }

    [Theory]
    [InlineData(new[] { "config", "show", "--bogus" }, "akkaraft config show --help")]
    [InlineData(new[] { "config", "shw" }, "akkaraft config --help")]
    [InlineData(new[] { "nonsense" }, "akkaraft --help")]
    [InlineData(new[] { "config", "show", "--file" }, "akkaraft config show --help")]
    public void A_usage_error_should_be_reported_on_stderr_with_exit_2(string[] args, string helpHint)
    {
        var (exit, output, error) = Run(args);
        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.StartsWith("akkaraft: ", error);
        Assert.Contains($"See '{helpHint}'.", error);
    }

    [Fact]
    public void The_built_executable_should_print_the_configuration_and_report_errors_on_stderr()
    {
        var assembly = Path.Combine(AppContext.BaseDirectory, "akkaraft.dll");
        Assert.True(File.Exists(assembly), $"expected the executable's assembly at {assembly}");

        var ok = RunProcess(assembly, "config", "show", "--json");
        Assert.Equal(0, ok.Exit);
        Assert.Contains("\"akkaraft\"", ok.Out);

        var bad = Write("bad.conf", "akkaraft.node.id = \"open");
        var failed = RunProcess(assembly, "config", "show", "--file", bad);
        Assert.Equal(2, failed.Exit);
        Assert.Contains($"{bad}:1:", failed.Err);
        Assert.Equal("", failed.Out);
    }

    private static (int Exit, string Out, string Err) RunProcess(string assembly, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(assembly);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("AKKARAFT__", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, output.Result, error.Result);
    }
}
