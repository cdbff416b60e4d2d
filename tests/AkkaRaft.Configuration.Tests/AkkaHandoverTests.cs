using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Configuration.Hocon;
using Akka.Serialization;
using Hyperion;
using AkkaConfig = Akka.Configuration.Config;
using AkkaConfigurationFactory = Akka.Configuration.ConfigurationFactory;

namespace AkkaRaft.Configuration.Tests;

/// <summary>
/// The hand-over of the resolved configuration to Akka.NET (<see cref="AkkaHandover"/>): whatever Akka reads back
/// with its own getters is what the loader resolved.
/// </summary>
public sealed class AkkaHandoverTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>An akka section as a node's file would hold it, with values of every kind Akka reads.</summary>
    private const string RealisticFile = """
        akka {
          loglevel = INFO
          stdout-loglevel = WARNING
          log-config-on-start = off
          actor {
            provider = cluster
            ask-timeout = infinite
            creation-timeout = 20s
            serializers {
              raft = "AkkaRaft.Raft.Serialization.RaftMessageSerializer, AkkaRaft.Raft"
              hyperion = "Akka.Serialization.HyperionSerializer, Akka.Serialization.Hyperion"
            }
            serialization-bindings {
              "AkkaRaft.Raft.IRaftMessage, AkkaRaft.Raft" = raft
              "Akka.Remote.RemoteActorRefProvider, Akka.Remote" = raft
              "System.Object" = hyperion
            }
            serialization-identifiers {
              "AkkaRaft.Raft.Serialization.RaftMessageSerializer, AkkaRaft.Raft" = 101
            }
            default-dispatcher.throughput = 100
            debug.receive = on
          }
          remote {
            log-remote-lifecycle-events = off
            dot-netty.tcp {
              hostname = ${?AKKARAFT_TEST_HOST}
              public-hostname = ${akka.remote.dot-netty.tcp.hostname}
              port = 4053
              maximum-frame-size = 4MiB
              send-buffer-size = 256000b
              enable-ssl = false
              connection-timeout = 15 s
            }
            watch-failure-detector.acceptable-heartbeat-pause = 10s
          }
          cluster {
            roles = [raft, kv]
            roles += time-series
            seed-nodes = ["akka.tcp://akkaraft@10.0.0.1:4053", "akka.tcp://akkaraft@10.0.0.2:4053"]
            min-nr-of-members = 1
            failure-detector.threshold = 8.0
            downing-provider-class = ""
            auto-down-unreachable-after = off
            split-brain-resolver.stable-after = 1.5m
          }
          persistence {
            journal {
              plugin = "akka.persistence.journal.sql"
              sql {
                class = "Akka.Persistence.Sql.Journal.SqlWriteJournal, Akka.Persistence.Sql"
                connection-string = "Data Source=/var/lib/akkaraft/journal.db;Cache=Shared;Pooling=True"
                provider-name = "SQLite.MS"
                auto-initialize = true
                max-row-bytes = 16 MiB
              }
            }
            snapshot-store.plugin = "akka.persistence.snapshot-store.sql"
          }
        }
        akkaraft.node.id = n1
        """;

    private (Config Loaded, AkkaConfig Akka) LoadRealistic()
    {
        var file = _dir.Write("node.conf", RealisticFile);
        var environment = new Dictionary<string, string?> { ["AKKARAFT_TEST_HOST"] = "10.0.0.7" };
        var overrides = new Dictionary<string, string> { ["akka.loglevel"] = "DEBUG", ["akka.remote.dot-netty.tcp.port"] = "4054" };
        var loaded = AkkaRaftConfig.Load(file, environment, overrides);
        return (loaded, AkkaHandover.ToAkkaConfig(loaded));
    }

    [Fact]
    public void Every_value_Akka_reads_from_a_realistic_akka_section_should_equal_what_the_loader_resolved()
    {
        var (loaded, akka) = LoadRealistic();

        // Every scalar the loader resolved under akka, read back by Akka as a string.
        var leaves = 0;
        foreach (var (relative, text) in loaded.GetConfig("akka").AsEnumerable())
        {
            if (text.StartsWith('['))
            {
                continue; // arrays, compared below
            }

            var path = "akka." + relative;
            Assert.True(akka.GetString(path) == loaded.GetString(path), $"{path}: Akka reads '{akka.GetString(path)}', the loader '{text}'");
            leaves++;
        }

        // The realistic file's 35 scalars, and reference.conf's akka scalars it does not set.
        Assert.True(leaves >= 35, $"only {leaves} scalars were compared");

        // The sources met: the file, an environment variable through ${?...}, a substitution, --set. AkkaRaft's own
        // settings stay with the loader.
        Assert.Equal("DEBUG", akka.GetString("akka.loglevel"));
        Assert.Equal("10.0.0.7", akka.GetString("akka.remote.dot-netty.tcp.public-hostname"));
        Assert.Equal(4054, akka.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal("n1", loaded.GetString("akkaraft.node.id"));
        Assert.False(akka.HasPath("akkaraft"));

        foreach (var path in new[] { "akka.remote.dot-netty.tcp.port", "akka.actor.default-dispatcher.throughput", "akka.cluster.min-nr-of-members" })
        {
            Assert.Equal(loaded.GetInt(path), akka.GetInt(path));
            Assert.Equal(loaded.GetLong(path), akka.GetLong(path));
        }

        Assert.Equal(loaded.GetDouble("akka.cluster.failure-detector.threshold"), akka.GetDouble("akka.cluster.failure-detector.threshold"));

        foreach (var path in new[]
                 {
                     "akka.actor.creation-timeout", "akka.remote.dot-netty.tcp.connection-timeout",
                     "akka.remote.watch-failure-detector.acceptable-heartbeat-pause", "akka.cluster.split-brain-resolver.stable-after",
                 })
        {
            Assert.Equal(loaded.GetTimeSpan(path), akka.GetTimeSpan(path));
        }

        // "infinite" is Akka's word, not HOCON's: the loader hands the text over and Akka reads it as it defines it.
        Assert.Equal("infinite", loaded.GetString("akka.actor.ask-timeout"));
        Assert.Equal(Timeout.InfiniteTimeSpan, akka.GetTimeSpan("akka.actor.ask-timeout"));

        foreach (var path in new[]
                 {
                     "akka.remote.dot-netty.tcp.maximum-frame-size", "akka.remote.dot-netty.tcp.send-buffer-size",
                     "akka.persistence.journal.sql.max-row-bytes",
                 })
        {
            Assert.Equal(loaded.GetByteSize(path), akka.GetByteSize(path));
        }

        Assert.Equal(4L * 1024 * 1024, akka.GetByteSize("akka.remote.dot-netty.tcp.maximum-frame-size"));

        foreach (var path in new[]
                 {
                     "akka.log-config-on-start", "akka.actor.debug.receive", "akka.remote.log-remote-lifecycle-events",
                     "akka.remote.dot-netty.tcp.enable-ssl", "akka.persistence.journal.sql.auto-initialize",
                     "akka.cluster.auto-down-unreachable-after",
                 })
        {
            Assert.Equal(loaded.GetBoolean(path), akka.GetBoolean(path));
        }

        Assert.True(akka.GetBoolean("akka.actor.debug.receive"));
        Assert.False(akka.GetBoolean("akka.cluster.auto-down-unreachable-after"));

        Assert.Equal(["raft", "kv", "time-series"], akka.GetStringList("akka.cluster.roles"));
        Assert.Equal(loaded.GetStringList("akka.cluster.seed-nodes"), akka.GetStringList("akka.cluster.seed-nodes"));

        Assert.Equal("Data Source=/var/lib/akkaraft/journal.db;Cache=Shared;Pooling=True",
            akka.GetString("akka.persistence.journal.sql.connection-string"));
        Assert.Equal("", akka.GetString("akka.cluster.downing-provider-class"));
    }

    [Fact]
    public void Serialization_bindings_keyed_by_assembly_qualified_type_names_should_reach_Akka_as_one_key_each()
    {
        var (loaded, akka) = LoadRealistic();

        // Akka's Serialization reads the bindings by enumerating the section, as this does.
        var bindings = akka.GetConfig("akka.actor.serialization-bindings").AsEnumerable()
            .ToDictionary(kv => kv.Key, kv => kv.Value.GetString());
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["AkkaRaft.Raft.IRaftMessage, AkkaRaft.Raft"] = "raft",
                ["Akka.Remote.RemoteActorRefProvider, Akka.Remote"] = "raft",
                ["System.Object"] = "hyperion",
                // reference.conf's own bindings, merged under the file's
                ["AkkaRaft.Raft.Core.RaftMessage, AkkaRaft.Raft"] = "raft-wire",
                ["AkkaRaft.Client.IRaftClientMessage, AkkaRaft.Client"] = "raft-client",
                ["AkkaRaft.Client.IRaftSessionMessage, AkkaRaft.Client"] = "raft-session",
                ["AkkaRaft.Client.IRaftCoordinationMessage, AkkaRaft.Client"] = "raft-coordination",
                ["AkkaRaft.Raft.Peer.Protocol.RaftJournalEvent, AkkaRaft.Raft"] = "raft-journal",
                ["AkkaRaft.Raft.Peer.Protocol.PeerSnapshotRecord, AkkaRaft.Raft"] = "raft-journal",
            },
            bindings);
        Assert.Equal(loaded.GetConfig("akka.actor.serialization-bindings").Keys, bindings.Keys);
        Assert.Equal(101, akka.GetInt("akka.actor.serialization-identifiers.\"AkkaRaft.Raft.Serialization.RaftMessageSerializer, AkkaRaft.Raft\""));
    }

    [Fact]
    public async Task An_actor_system_created_with_the_handed_over_configuration_should_run_with_its_settings()
    {
        var config = AkkaRaftConfig.Load(null, new Dictionary<string, string?>(), new Dictionary<string, string>
        {
            ["akka.loglevel"] = "WARNING",
            ["akka.actor.ask-timeout"] = "7s",
            ["akka.actor.serializers.mine"] = "\"Akka.Serialization.NewtonSoftJsonSerializer, Akka\"",
            ["akka.actor.serialization-bindings.\"System.Version, System.Runtime\""] = "mine",
            ["akkaraft.node.id"] = "n7",
        });

        var system = ActorSystem.Create("handover", AkkaHandover.ToAkkaConfig(config));
        try
        {
            Assert.Equal("WARNING", system.Settings.LogLevel);
            Assert.Equal(TimeSpan.FromSeconds(7), system.Settings.AskTimeout);
            Assert.False(system.Settings.Config.HasPath("akkaraft.node.id"));
            var serializer = system.Serialization.FindSerializerForType(typeof(Version));
            Assert.Equal("NewtonSoftJsonSerializer", serializer.GetType().Name);
        }
        finally
        {
            await system.Terminate().WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>A command a user's file lets Hyperion read.</summary>
    public sealed record AllowedCommand(string Text);

    /// <summary>An answer a user's file lets Hyperion read.</summary>
    public sealed record AllowedAnswer(long Count);

    /// <summary>A type no file lists.</summary>
    public sealed record UnlistedCommand(string Text);

    private const string AllowedCommandName = "AkkaRaft.Configuration.Tests.AkkaHandoverTests+AllowedCommand, AkkaRaft.Configuration.Tests";
    private const string AllowedAnswerName = "AkkaRaft.Configuration.Tests.AkkaHandoverTests+AllowedAnswer, AkkaRaft.Configuration.Tests";

    [Fact]
    public void The_shipped_hyperion_settings_should_be_read_by_Akka_Serialization_Hyperion_as_unsafe_types_refused_and_no_type_allowed_yet()
    {
        var akka = AkkaHandover.ToAkkaConfig(ConfigurationFactory.Default());

        Assert.Equal("Akka.Serialization.HyperionSerializer, Akka.Serialization.Hyperion", akka.GetString("akka.actor.serializers.hyperion"));
        // What Akka's Serialization hands the serializer it creates, read by Akka.Serialization.Hyperion's own reader.
        var settings = HyperionSerializerSettings.Create(akka.GetConfig("akka.actor.serialization-settings.hyperion"));
        Assert.True(settings.DisallowUnsafeType);
        Assert.IsType<DisabledTypeFilter>(settings.TypeFilter); // an empty list: Hyperion filters nothing, AkkaRaft's nodes read no typed payload
        Assert.True(settings.PreserveObjectReferences);
        Assert.True(settings.VersionTolerance);
        Assert.Empty(akka.GetStringList("akka.actor.serialization-settings.hyperion.allowed-types"));
    }

    [Fact]
    public async Task Allowed_types_from_a_users_file_should_become_the_type_filter_of_the_hyperion_serializer_Akka_creates_and_it_should_apply_it()
    {
        // The user's file sets the list and adds to it (+=, which only the loader reads right), --set turns one key off.
        var file = _dir.Write("node.conf", $$"""
            akka.actor.serialization-settings.hyperion {
              allowed-types = ["{{AllowedCommandName}}"]
              allowed-types += "{{AllowedAnswerName}}"
            }
            """);
        var loaded = AkkaRaftConfig.Load(file, new Dictionary<string, string?>(), new Dictionary<string, string>
        {
            ["akka.actor.serialization-settings.hyperion.version-tolerance"] = "off",
        });

        var system = ActorSystem.Create("hyperion-handover", AkkaHandover.ToAkkaConfig(loaded));
        try
        {
            var hyperion = Assert.IsType<HyperionSerializer>(system.Serialization.FindSerializerForType(typeof(AllowedCommand), "hyperion"));
            Assert.True(hyperion.Settings.DisallowUnsafeType);
            Assert.False(hyperion.Settings.VersionTolerance);
            Assert.True(hyperion.Settings.PreserveObjectReferences);
            Assert.Equal([AllowedAnswerName, AllowedCommandName], Assert.IsType<TypeFilter>(hyperion.Settings.TypeFilter).FilteredTypes.Order(StringComparer.Ordinal));

            // Hyperion applies the filter when it reads (it is written by a twin without one: Hyperion 0.12.2's filter
            // also refuses to write the types it allows, see PayloadSerializationTests in AkkaRaft.Raft.Tests).
            var writer = new HyperionSerializer((ExtendedActorSystem)system, hyperion.Settings.WithTypeFilter(DisabledTypeFilter.Instance));
            Assert.Equal(new AllowedCommand("hello"), system.Serialization.Deserialize(writer.ToBinary(new AllowedCommand("hello")), hyperion.Identifier, ""));
            var refused = Assert.ThrowsAny<Exception>(() => system.Serialization.Deserialize(writer.ToBinary(new UnlistedCommand("no")), hyperion.Identifier, ""));
            Assert.Contains("AkkaHandoverTests+UnlistedCommand", refused.Message);
        }
        finally
        {
            await system.Terminate().WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    [Fact]
    public void A_type_in_allowed_types_that_does_not_load_should_stop_the_actor_system_from_starting_naming_the_type()
    {
        var loaded = AkkaRaftConfig.Load(null, new Dictionary<string, string?>(), new Dictionary<string, string>
        {
            ["akka.actor.serialization-settings.hyperion.allowed-types"] = "[\"No.Such.Command, NoSuchAssembly\"]",
        });

        var failure = Record.Exception(() => ActorSystem.Create("hyperion-unloadable", AkkaHandover.ToAkkaConfig(loaded)).Terminate().Wait(TimeSpan.FromSeconds(10)));

        Assert.NotNull(failure);
        var messages = new List<string>();
        for (var e = failure; e is not null; e = e.InnerException) messages.Add(e.Message);
        Assert.Contains(messages, m => m.Contains("Could not load type [No.Such.Command, NoSuchAssembly] from allowed-type", StringComparison.Ordinal));
    }

    [Fact]
    public void Akka_reads_a_json_null_as_a_value_its_getters_fail_on_so_a_null_field_is_handed_over_as_no_value()
    {
        // Why null fields are left out: Akka's parser keeps a JSON null as a value, and its getters then fail even
        // when given a default.
        var akkaOwn = AkkaConfigurationFactory.ParseString("{\"akka\":{\"remote\":{\"dot-netty\":{\"tcp\":{\"port\":null}}}}}");
        Assert.True(akkaOwn.HasPath("akka.remote.dot-netty.tcp.port"));
        Assert.Throws<ArgumentNullException>(() => akkaOwn.GetInt("akka.remote.dot-netty.tcp.port", 2552));

        var loaded = Hocon.Parse("akka.remote.dot-netty.tcp { port = 4053, port = null, hostname = h }, akka.cluster.roles = [a, null]");
        var akka = AkkaHandover.ToAkkaConfig(loaded);
        Assert.False(akka.HasPath("akka.remote.dot-netty.tcp.port"));
        Assert.Equal(2552, akka.GetInt("akka.remote.dot-netty.tcp.port", 2552));
        Assert.Equal(2552, akka.WithFallback(AkkaConfigurationFactory.ParseString("akka.remote.dot-netty.tcp.port = 2552"))
            .GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal("h", akka.GetString("akka.remote.dot-netty.tcp.hostname"));
        Assert.Equal(["a", null], akka.GetStringList("akka.cluster.roles")); // an array keeps its null, or its elements would move
    }

    [Fact]
    public void The_text_handed_to_Akka_should_be_json()
    {
        var (loaded, _) = LoadRealistic();
        using var json = JsonDocument.Parse(AkkaHandover.ToJson(loaded));
        Assert.Equal("cluster", json.RootElement.GetProperty("akka").GetProperty("actor").GetProperty("provider").GetString());
    }

    [Fact]
    public void A_value_Akka_reads_differently_should_be_refused_naming_its_path_and_origin()
    {
        // The check that ToAkkaConfig runs on Akka's result, given a result that differs in one value, one key, one element.
        var loaded = Hocon.Parse("akka {\n  remote.dot-netty.tcp.port = 4053\n  cluster.roles = [a, b]\n}");

        var value = Assert.Throws<ConfigException>(() => AkkaHandover.Verify(loaded,
            AkkaConfigurationFactory.ParseString("akka { remote.dot-netty.tcp.port = 4054, cluster.roles = [a, b] }")));
        Assert.Equal("akka.remote.dot-netty.tcp.port: Akka.NET's HOCON parser read \"4054\" where AkkaRaft resolved \"4053\" (test.conf:2:31)", value.Message);

        var key = Assert.Throws<ConfigException>(() => AkkaHandover.Verify(loaded, AkkaConfigurationFactory.ParseString(
            "{\"akka\":{\"remote\":{\"dot-netty\":{\"tcp\":{\"port\":4053,\"port +\":1}}},\"cluster\":{\"roles\":[\"a\",\"b\"]}}}")));
        Assert.StartsWith("akka.remote.dot-netty.tcp: Akka.NET's HOCON parser read the key \"port +\" where AkkaRaft resolved no key \"port +\"", key.Message);

        var element = Assert.Throws<ConfigException>(() => AkkaHandover.Verify(loaded, AkkaConfigurationFactory.ParseString(
            "{\"akka\":{\"remote\":{\"dot-netty\":{\"tcp\":{\"port\":4053}}},\"cluster\":{\"roles\":[\"a\"]}}}")));
        Assert.Equal("akka.cluster.roles: Akka.NET's HOCON parser read an array of 1 element where AkkaRaft resolved an array of 2 elements (test.conf:3:19)",
            element.Message);
    }

    [Theory]
    [InlineData(" padded", "trims the whitespace")]
    [InlineData("trailing\n", "trims the whitespace")]
    [InlineData("\t", "trims the whitespace")]
    [InlineData("null", "reads the string \"null\" as null")]
    public void A_string_Akka_cannot_hold_should_be_refused_naming_its_path_rather_than_changed(string value, string why)
    {
        // Akka's GetString trims every string and turns "null" into null (its literal holds the text; its getter
        // does not return it), so such a value would reach Akka changed.
        Assert.NotEqual(value, AkkaConfigurationFactory.ParseString("{\"v\":" + JsonSerializer.Serialize(value) + "}").GetString("v"));

        var loaded = Hocon.Parse("akka.persistence.journal.sql.connection-string = " + JsonSerializer.Serialize(value) + "\nakka.cluster.roles = [" + JsonSerializer.Serialize(value) + "]");
        var error = Assert.Throws<ConfigException>(() => AkkaHandover.ToAkkaConfig(loaded));
        Assert.StartsWith("akka.persistence.journal.sql.connection-string: Akka.NET's HOCON parser read ", error.Message);
        Assert.Contains("(test.conf:1:", error.Message);
        Assert.Contains(why, error.Message);

        var inArray = Assert.Throws<ConfigException>(() => AkkaHandover.ToAkkaConfig(Hocon.Parse("akka.cluster.roles = [ok, " + JsonSerializer.Serialize(value) + "]")));
        Assert.StartsWith("akka.cluster.roles.\"1\": Akka.NET's HOCON parser read ", inArray.Message);
    }

    [Fact]
    public void A_configuration_without_an_akka_section_should_hand_over_an_empty_one()
    {
        var akka = AkkaHandover.ToAkkaConfig(Hocon.Parse("akkaraft.node.id = n1"));
        Assert.True(akka.IsEmpty);
        Assert.Equal("{}", AkkaHandover.ToJson(Hocon.Parse("akka = null")));
    }

    [Fact]
    public void An_akka_root_that_is_not_an_object_should_be_refused()
    {
        var error = Assert.Throws<ConfigException>(() => AkkaHandover.ToAkkaConfig(Hocon.Parse("akka = [a]")));
        Assert.Equal("akka: expected an object holding Akka.NET's settings, got an array (test.conf:1:8)", error.Message);
    }

    public static TheoryData<int> Seeds => new(Enumerable.Range(1, 40));

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Random_trees_with_hostile_keys_and_values_should_reach_Akka_unchanged(int seed)
    {
        var random = new Random(seed);
        var expected = new List<Expectation>();
        var tree = new JsonObject { ["akka"] = RandomObject(random, ["akka"], expected, depth: 1) };
        var text = tree.ToJsonString(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

        var loaded = ConfigurationFactory.ParseString(text, "random.json");
        AkkaConfig akka;
        try
        {
            akka = AkkaHandover.ToAkkaConfig(loaded);
        }
        catch (ConfigException e)
        {
            throw new Xunit.Sdk.XunitException($"seed {seed}: {e.Message}\n--- text ---\n{text}");
        }

        // Walk Akka's tree with its public API, independently of the check inside ToAkkaConfig.
        foreach (var e in expected)
        {
            var where = $"seed {seed}, path {string.Join(" / ", e.Path.Select(k => JsonSerializer.Serialize(k)))}";
            var value = Navigate(akka.Root, e.Path);
            if (e.Kind == Kind.Null)
            {
                Assert.True(value is null, $"{where}: a null field should be left out");
                continue;
            }

            Assert.True(value is not null, $"{where}: missing in Akka's tree\n{text}");
            Assert.True(value!.IsString(), $"{where}: not a string in Akka's tree");
            Assert.True(e.Text == value.GetString(), $"{where}: Akka reads {JsonSerializer.Serialize(value.GetString())}, expected {JsonSerializer.Serialize(e.Text)}");
            switch (e.Kind)
            {
                case Kind.Long:
                    Assert.Equal(long.Parse(e.Text, CultureInfo.InvariantCulture), value.GetLong());
                    break;
                case Kind.Double:
                    Assert.Equal(double.Parse(e.Text, CultureInfo.InvariantCulture), value.GetDouble());
                    break;
                case Kind.Boolean:
                    Assert.Equal(e.Text is "true" or "on", value.GetBoolean());
                    break;
                case Kind.Duration:
                    Assert.Equal(Units.ParseDuration(e.Text), value.GetTimeSpan()); // what the loader's GetTimeSpan reads
                    break;
                case Kind.Size:
                    Assert.Equal(Units.ParseBytes(e.Text), value.GetByteSize()); // what the loader's GetByteSize reads
                    break;
            }

            // Where Akka's path expressions can name the key (they have no escape for '"', and a tab or a padded key
            // is not found), its getters by path agree too.
            if (!e.Path.Any(k => k.Contains('"') || k.Contains('\\') || k.Any(char.IsControl) || k.Length == 0 || k.Trim() != k || k.StartsWith('[')))
            {
                Assert.True(e.Text == akka.GetString(ConfigPath.Render(e.Path)), $"{where}: Akka's GetString by path differs");
            }
        }
    }

    private enum Kind
    {
        String,
        Long,
        Double,
        Boolean,
        Duration,
        Size,
        Null,
    }

    /// <summary>A scalar of the random tree: its path (array elements as "[i]"), its text, and what kind of value it is.</summary>
    private sealed record Expectation(IReadOnlyList<string> Path, string Text, Kind Kind);

    private static readonly string[] HostileKeys =
    [
        "a", "b-c", "a.b", "Akka.Remote.RemoteActorRefProvider, Akka.Remote", "with\"quote", "back\\slash", "", "include", "true",
        "null", "123", "a b", "été", "${x}", "#hash", "//slashes", "k=v", "x:y", "{brace}", "[0]", "tab\there", "☃😀", " padded ",
    ];

    private static readonly string[] Durations = ["10s", "500ms", "2 minutes", "1d", "250", "1.5s", "3 h", "100 nanos"];

    private static readonly string[] Sizes = ["4MiB", "10MB", "512k", "1024", "1KiB", "2 GiB", "1g", "5 bytes", "1kB", "16 MiB"];

    private static readonly string[] Booleans = ["on", "off", "true", "false"];

    private static JsonObject RandomObject(Random random, List<string> path, List<Expectation> expected, int depth)
    {
        var obj = new JsonObject();
        foreach (var key in HostileKeys.OrderBy(_ => random.Next()).Take(random.Next(depth == 1 ? 3 : 0, 7)))
        {
            obj[key] = RandomValue(random, [.. path, key], expected, depth + 1);
        }

        return obj;
    }

    private static JsonNode? RandomValue(Random random, List<string> path, List<Expectation> expected, int depth)
    {
        switch (random.Next(depth > 4 ? 8 : 10))
        {
            case 0:
                var l = random.Next(3) == 0 ? random.NextInt64(long.MinValue, long.MaxValue) : random.Next(-100000, 100000);
                expected.Add(new(path, l.ToString(CultureInfo.InvariantCulture), Kind.Long));
                return JsonValue.Create(l);
            case 1:
                var d = random.Next(4) switch { 0 => "1.5", 1 => "-2.5e3", 2 => "0.25", _ => "6.02E23" };
                expected.Add(new(path, d, Kind.Double));
                return JsonNode.Parse(d);
            case 2:
                var b = Booleans[random.Next(Booleans.Length)];
                expected.Add(new(path, b, Kind.Boolean));
                return b is "true" or "false" ? JsonValue.Create(b == "true") : JsonValue.Create(b);
            case 3:
                var duration = Durations[random.Next(Durations.Length)];
                expected.Add(new(path, duration, Kind.Duration));
                return JsonValue.Create(duration);
            case 4:
                var size = Sizes[random.Next(Sizes.Length)];
                expected.Add(new(path, size, Kind.Size));
                return JsonValue.Create(size);
            case 5:
                if (path.Count > 0 && path[^1] is ['[', ..])
                {
                    goto default; // nulls in arrays are covered by a test of their own
                }

                expected.Add(new(path, "null", Kind.Null));
                return null;
            case 6:
            case 7:
            default:
                var s = RandomString(random);
                expected.Add(new(path, s, Kind.String));
                return JsonValue.Create(s);
            case 8:
                var array = new JsonArray();
                for (var i = 0; i < random.Next(0, 4); i++)
                {
                    array.Add(RandomValue(random, [.. path, $"[{i}]"], expected, depth + 1));
                }

                return array;
            case 9:
                return RandomObject(random, path, expected, depth);
        }
    }

    private static string RandomString(Random random)
    {
        string[] pieces =
        [
            "plain", " ", "\\", "\"", "\n", "\t", "\r", "\u0001", "é", "☃", "😀", "$", "${x}", "{", "}", "#", "//", ",", "=", ":",
            "[", "]", "C:\\data\\raft", "Host=h;Port=5432;Password=a=b;", "'", "\u2028", "include", "\\u0041",
        ];
        var sb = new StringBuilder();
        var count = random.Next(0, 6);
        for (var i = 0; i < count; i++)
        {
            sb.Append(pieces[random.Next(pieces.Length)]);
        }

        // Akka cannot hold a string with whitespace around it, nor the string "null" (a test of its own shows the
        // hand-over refuses those); every other string must come through exactly.
        var text = sb.ToString().Trim();
        return text == "null" ? "not null" : text;
    }

    /// <summary>Follows <paramref name="path"/> in Akka's tree by its objects' keys and its arrays' indexes; null when absent.</summary>
    private static HoconValue? Navigate(HoconValue root, IReadOnlyList<string> path)
    {
        var current = root;
        foreach (var element in path)
        {
            if (element is ['[', .. var index, ']'] && current.IsArray())
            {
                current = current.GetArray()[int.Parse(index, CultureInfo.InvariantCulture)];
                continue;
            }

            if (!current.IsObject() || !current.GetObject().Items.TryGetValue(element, out var next))
            {
                return null;
            }

            current = next;
        }

        return current;
    }
}
