namespace AkkaRaft.Configuration.Tests;

/// <summary>Loading AkkaRaft's configuration: precedence, environment mapping, unknown settings, settings records.</summary>
public sealed class AkkaRaftConfigTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static Dictionary<string, string?> Env(params (string Name, string Value)[] variables) =>
        variables.ToDictionary(v => v.Name, v => (string?)v.Value);

    [Theory]
    [InlineData("AKKARAFT__RAFT__ELECTION_TIMEOUT", "akkaraft.raft.election-timeout")]
    [InlineData("AKKARAFT__NODE__DATA_DIR", "akkaraft.node.data-dir")]
    [InlineData("AKKARAFT__TIME_SERIES__BLOCK_SIZE", "akkaraft.time-series.block-size")]
    [InlineData("AKKARAFT__NODE__ID", "akkaraft.node.id")]
    public void Environment_variable_names_should_map_to_kebab_case_paths(string name, string path)
    {
        Assert.Equal(path, AkkaRaftConfig.EnvironmentVariableToPath(name));
    }

    [Theory]
    [InlineData("AKKARAFT__NODE___ID")]
    [InlineData("AKKARAFT__NODE__")]
    [InlineData("AKKARAFT____ID")]
    public void Environment_variable_names_with_an_empty_element_should_be_refused(string name)
    {
        var error = Assert.Throws<ConfigException>(() => AkkaRaftConfig.Load(null, Env((name, "x")), null));
        Assert.Contains($"environment variable {name}: cannot map the name to a setting", error.Message);
    }

    [Fact]
    public void With_no_user_source_the_reference_defaults_should_apply()
    {
        var config = AkkaRaftConfig.Load(null, Env(), null);
        Assert.Equal("node-1", config.GetString("akkaraft.node.id"));
        Assert.Equal("./data", config.GetString("akkaraft.node.data-dir"));
        Assert.Equal(ConfigurationFactory.Default().ToJson(), config.ToJson());
    }

    [Theory]
    [InlineData(false, false, false, "node-1")]
    [InlineData(true, false, false, "from-file")]
    [InlineData(true, true, false, "from-env")]
    [InlineData(false, true, false, "from-env")]
    [InlineData(true, true, true, "from-option")]
    [InlineData(true, false, true, "from-option")]
    [InlineData(false, false, true, "from-option")]
    public void Options_should_beat_environment_which_beats_the_file_which_beats_reference(
        bool file, bool env, bool option, string expected)
    {
        var path = file ? _dir.Write("user.conf", "akkaraft.node.id = from-file") : null;
        var environment = env ? Env(("AKKARAFT__NODE__ID", "from-env")) : Env();
        var overrides = option ? new Dictionary<string, string> { ["akkaraft.node.id"] = "from-option" } : null;
        var config = AkkaRaftConfig.Load(path, environment, overrides);
        Assert.Equal(expected, config.GetString("akkaraft.node.id"));
        Assert.Equal("./data", config.GetString("akkaraft.node.data-dir"));
    }

    [Theory]
    [InlineData("42", "42")]
    [InlineData("750ms", "\"750ms\"")]
    [InlineData("[a, b]", "[\"a\",\"b\"]")]
    [InlineData("true", "true")]
    [InlineData("null", "null")]
    [InlineData("node 1", "\"node 1\"")]
    [InlineData("\"quoted\"", "\"quoted\"")]
    [InlineData("http://host:8080/x", "\"http://host:8080/x\"")]
    [InlineData("C:\\data\\raft", "\"C:\\\\data\\\\raft\"")]
    [InlineData("a # not a comment", "\"a # not a comment\"")]
    [InlineData("[1, 2", "\"[1, 2\"")]
    [InlineData("", "\"\"")]
    public void Values_from_the_environment_should_be_read_as_hocon_values_or_else_verbatim_strings(string value, string json)
    {
        var config = AkkaRaftConfig.Load(null, Env(("AKKARAFT__NODE__ID", value)), null);
        // Only the id comes from the environment; the rest of the section is reference.conf's and may grow.
        Assert.StartsWith($"{{\"id\":{json},\"data-dir\":\"./data\"", config.GetConfig("akkaraft.node").ToJson(indented: false));
    }

    [Fact]
    public void A_user_file_may_refer_to_and_extend_reference_defaults_and_environment_variables()
    {
        var file = _dir.Write("user.conf", "akkaraft.node {\n  data-dir = ${akkaraft.node.data-dir}\"/sub\"\n  id = ${HOSTNAME_FOR_TEST}-a\n}");
        var config = AkkaRaftConfig.Load(file, Env(("HOSTNAME_FOR_TEST", "box")), null);
        Assert.Equal("./data/sub", config.GetString("akkaraft.node.data-dir"));
        Assert.Equal("box-a", config.GetString("akkaraft.node.id"));
    }

    [Fact]
    public void An_environment_value_may_use_a_substitution()
    {
        var config = AkkaRaftConfig.Load(null, Env(("AKKARAFT__NODE__DATA_DIR", "${HOME_FOR_TEST}/raft"), ("HOME_FOR_TEST", "/home/me")), null);
        Assert.Equal("/home/me/raft", config.GetString("akkaraft.node.data-dir"));
    }

    [Fact]
    public void Unknown_settings_from_every_source_should_be_listed_with_origin_and_suggestion()
    {
        var file = _dir.Write("user.conf", "akkaraft {\n  node {\n    idd = x\n  }\n  raaft { a = 1, b = 2 }\n}");
        var error = Assert.Throws<ConfigException>(() => AkkaRaftConfig.Load(
            file,
            Env(("AKKARAFT__NODE__DATADIR", "/x")),
            new Dictionary<string, string> { ["akkaraft.nodes.id"] = "x" }));
        var lines = error.Message.Split('\n');
        Assert.Equal("4 unknown settings under akkaraft (reference.conf lists every setting):", lines[0]);
        Assert.Contains("  akkaraft.nodes (command-line option akkaraft.nodes.id): did you mean node?", lines);
        Assert.Contains("  akkaraft.node.datadir (environment variable AKKARAFT__NODE__DATADIR): did you mean data-dir?", lines);
        Assert.Contains($"  akkaraft.node.idd ({file}:3:5): did you mean id?", lines);
        Assert.Contains($"  akkaraft.raaft ({file}:5:3): did you mean raft?", lines);
    }

    [Theory]
    [InlineData("akkraft.node.id = x", "akkraft", "akkaraft")]
    [InlineData("aka.loglevel = DEBUG", "aka", "akka")]
    [InlineData("node { id = x }", "node", "akkaraft.node")]
    [InlineData("other.stuff = 1", "other", null)]
    public void A_root_other_than_akka_and_akkaraft_should_be_refused_naming_it_and_the_nearest_root(
        string line, string root, string? suggestion)
    {
        var file = _dir.Write("user.conf", "akkaraft.node.id = fine\n" + line);

        var error = Assert.Throws<ConfigException>(() => AkkaRaftConfig.Load(file, Env(), null));

        var lines = error.Message.Split('\n');
        Assert.Equal("unknown setting (a configuration holds akka { }, Akka.NET's settings, and akkaraft { }, whose settings reference.conf lists):", lines[0]);
        Assert.Equal($"  {root} ({file}:2:1)" + (suggestion is null ? "" : $": did you mean {suggestion}?"), lines[1]);
        Assert.Equal(2, lines.Length);
    }

    [Fact]
    public void An_unknown_root_from_the_command_line_should_be_refused_like_one_from_a_file()
    {
        var unknown = AkkaRaftConfig.FindUnknownSettings(null, Env(), new Dictionary<string, string> { ["akkraft.node.id"] = "x" });
        Assert.Equal([new UnknownSetting("akkraft", new ConfigOrigin("command-line option akkraft.node.id"), "akkaraft")], unknown);
    }

    [Fact]
    public void An_akka_section_should_load_from_the_file_environment_substitutions_and_the_command_line()
    {
        var file = _dir.Write("user.conf", """
            akka {
              loglevel = INFO
              actor.provider = cluster
              remote.dot-netty.tcp { hostname = ${?AKKA_HOST_FOR_TEST}, port = 4053 }
              any-key-akka-or-a-plugin-defines { x = 1 }
            }
            akkaraft.node.id = n1
            """);
        var config = AkkaRaftConfig.Load(file, Env(("AKKA_HOST_FOR_TEST", "10.0.0.7")),
            new Dictionary<string, string> { ["akka.loglevel"] = "DEBUG" });

        Assert.Equal("DEBUG", config.GetString("akka.loglevel"));
        Assert.Equal("cluster", config.GetString("akka.actor.provider"));
        Assert.Equal("10.0.0.7", config.GetString("akka.remote.dot-netty.tcp.hostname"));
        Assert.Equal(4053, config.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal(1, config.GetInt("akka.any-key-akka-or-a-plugin-defines.x"));
        Assert.Equal("n1", config.GetString("akkaraft.node.id"));
    }

    [Fact]
    public void Environment_variables_with_the_akkaraft_prefix_should_set_only_akkaraft_settings()
    {
        // AKKARAFT__AKKA__LOGLEVEL names akkaraft.akka.loglevel, which does not exist; Akka's settings come from the
        // file (with ${?NAME} for a variable) or from --set akka.x=y, never from a prefix of their own.
        var error = Assert.Throws<ConfigException>(() => AkkaRaftConfig.Load(null, Env(("AKKARAFT__AKKA__LOGLEVEL", "DEBUG")), null));
        Assert.Contains("  akkaraft.akka (environment variable AKKARAFT__AKKA__LOGLEVEL)", error.Message);

        var config = AkkaRaftConfig.Load(null, Env(("AKKA__LOGLEVEL", "DEBUG"), ("AKKA_LOGLEVEL", "DEBUG")), null);
        Assert.Equal(ConfigurationFactory.Default().GetString("akka.loglevel"), config.GetString("akka.loglevel"));
    }

    [Fact]
    public void FindUnknownSettings_should_suggest_the_full_path_of_a_key_misplaced_in_another_section()
    {
        var file = _dir.Write("user.conf", "akkaraft.data-dir = /x\nakkaraft.node.zzz = 1");
        var unknown = AkkaRaftConfig.FindUnknownSettings(file, Env(), null);
        Assert.Equal(
            [new UnknownSetting("akkaraft.data-dir", new ConfigOrigin(file, 1, 1), "akkaraft.node.data-dir"),
             new UnknownSetting("akkaraft.zzz", new ConfigOrigin(file, 2, 1), null) with { Path = "akkaraft.node.zzz" }],
            unknown);
        Assert.Empty(AkkaRaftConfig.FindUnknownSettings(null, Env(), null));
    }

    [Fact]
    public void Keys_under_akka_should_not_be_checked_and_keys_under_akkaraft_should()
    {
        var reference = Parse("akkaraft { node { id = 1 } }");
        var user = Parse("akka { actor { serializers { mine = \"My.Serializer, Mine\" } } }, akkaraft { node { idd = 2 } }");
        var unknown = UnknownSettings.Find(reference, user);
        Assert.Equal(["akkaraft.node.idd"], unknown.Select(u => u.Path));
    }

    private static ObjectNode Parse(string text) => Parser.ParseDocument(text, "t.conf", Includer.ForText("t.conf"), []);

    [Fact]
    public void A_malformed_user_file_should_be_refused_with_its_position()
    {
        var file = _dir.Write("user.conf", "akkaraft {\n  node.id = \"unterminated\n}");
        var error = Assert.Throws<ConfigException>(() => AkkaRaftConfig.Load(file, Env(), null));
        Assert.Equal(new ConfigOrigin(file, 2, 26), error.Origin);
        Assert.Contains("the string opened at " + file + ":2:13", error.Message);
    }

    [Fact]
    public void A_missing_user_file_should_be_refused_naming_it()
    {
        var error = Assert.Throws<ConfigException>(() => AkkaRaftConfig.Load(Path.Combine(_dir.Path, "nope.conf"), Env(), null));
        Assert.Contains("nope.conf: cannot read the configuration file: no such file", error.Message);
    }

    [Fact]
    public void A_user_file_may_clear_a_reference_section_with_null_as_the_spec_allows()
    {
        var file = _dir.Write("user.conf", "akkaraft.node = null\nakkaraft.node { id = fresh }");
        var config = AkkaRaftConfig.Load(file, Env(), null);
        Assert.Equal("fresh", config.GetString("akkaraft.node.id"));
        Assert.False(config.HasPath("akkaraft.node.data-dir"));
    }

    [Fact]
    public void NodeSettings_should_read_the_node_section()
    {
        var settings = NodeSettings.FromConfig(AkkaRaftConfig.Load(null, Env(("AKKARAFT__NODE__ID", "n-2.east_1")), null));
        Assert.Equal(new NodeSettings("n-2.east_1", "./data", "akkaraft"), settings);
        Assert.Equal(Path.GetFullPath("./data"), settings.DataDirectoryFullPath);
    }

    [Theory]
    [InlineData("akkaraft.node.id = \"has space\"", "akkaraft.node.id: expected 1 to 64 letters, digits, '-', '_' or '.', got 'has space'")]
    [InlineData("akkaraft.node.id = \"\"", "akkaraft.node.id: expected 1 to 64 letters")]
    [InlineData("akkaraft.node.id = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "akkaraft.node.id: expected 1 to 64")]
    [InlineData("akkaraft.node.id = [a]", "akkaraft.node.id: expected a string, got an array")]
    [InlineData("akkaraft.node.data-dir = \"  \"", "akkaraft.node.data-dir: expected a directory path, got an empty string")]
    [InlineData("akkaraft.node.data-dir = null", "akkaraft.node.data-dir: expected a string, got null")]
    [InlineData("akkaraft.node.actor-system-name = \"a b\"", "akkaraft.node.actor-system-name: expected letters, digits, '-' and '_'")]
    [InlineData("akkaraft.node.actor-system-name = \"-x\"", "akkaraft.node.actor-system-name: expected letters, digits, '-' and '_', starting with a letter or digit")]
    public void NodeSettings_should_refuse_bad_values_naming_path_rule_and_origin(string line, string message)
    {
        var file = _dir.Write("user.conf", line);
        var error = Assert.Throws<ConfigException>(() => NodeSettings.FromConfig(AkkaRaftConfig.Load(file, Env(), null)));
        Assert.StartsWith(message, error.Message);
        Assert.Equal(file, error.Origin?.Source);
        Assert.Equal(1, error.Origin?.Line);
    }

    [Fact]
    public void The_shipped_single_node_file_should_load_without_unknown_settings()
    {
        var file = Path.Combine(RepositoryRoot(), "hocon", "single-node.conf");
        var settings = NodeSettings.FromConfig(AkkaRaftConfig.Load(file, Env(), null));
        Assert.Equal(new NodeSettings("node-1", "./data/node-1", "akkaraft"), settings);
    }

    [Fact]
    public void The_embedded_reference_should_be_the_file_in_the_repository()
    {
        var onDisk = ConfigurationFactory.ParseFile(Path.Combine(RepositoryRoot(), "hocon", "reference.conf"));
        Assert.Equal(onDisk.ToJson(), ConfigurationFactory.Default().ToJson());
    }

    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AkkaRaft.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException($"no AkkaRaft.sln above {AppContext.BaseDirectory}");
    }
}
