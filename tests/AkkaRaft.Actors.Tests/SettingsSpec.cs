using AkkaRaft.Actors;
using AkkaRaft.Actors.Simulation;
using AkkaRaft.Configuration;
using AkkaRaft.TestKit;

namespace AkkaRaft.Actors.Tests;

public sealed class SettingsSpec
{
    [Fact]
    public void The_reference_configuration_gives_the_default_settings()
    {
        var config = ConfigurationFactory.Default();
        var settings = ActorSystemSettings.FromConfig(config.GetConfig("akkaraft.actor"));
        Assert.Equal(ActorSystemSettings.Default with { Dispatchers = settings.Dispatchers, Deployments = settings.Deployments }, settings);
        Assert.Empty(settings.Dispatchers);
        Assert.Empty(settings.Deployments);
        Assert.Equal(SimulationSettings.Default, SimulationSettings.FromConfig(config.GetConfig("akkaraft.actor.simulation")));
        Assert.Equal(TestKitSettings.Default, TestKitSettings.FromConfig(config.GetConfig("akkaraft.actor.testkit")));
    }

    [Fact]
    public void Settings_are_read_from_hocon_with_the_reference_as_fallback()
    {
        var config = ConfigurationFactory.ParseString("""
            akkaraft.actor {
              throughput = 5
              mailbox-capacity = 100
              ask-timeout = infinite
              stdout-loglevel = off
              dispatchers { io { throughput = 2 } }
            }
            """).WithFallback(ConfigurationFactory.Default());
        var settings = ActorSystemSettings.FromConfig(config.GetConfig("akkaraft.actor"));
        Assert.Equal(5, settings.Throughput);
        Assert.Equal(100, settings.MailboxCapacity);
        Assert.Equal(Timeout.InfiniteTimeSpan, settings.AskTimeout);
        Assert.Equal(LogLevel.Off, settings.StdoutLogLevel);
        Assert.Equal(2, settings.Dispatchers["io"]);
        Assert.Equal(ActorSystemSettings.Default.StashCapacity, settings.StashCapacity);
    }

    [Fact]
    public void An_actor_system_is_created_from_a_full_configuration()
    {
        var config = ConfigurationFactory.ParseString("akkaraft.actor { throughput = 7, stdout-loglevel = OFF }").WithFallback(ConfigurationFactory.Default());
        using var system = ActorSystem.Create("configured", config);
        Assert.Equal(7, system.Settings.Throughput);
    }

    [Theory]
    [InlineData("throughput = 0", "throughput")]
    [InlineData("stash-capacity = -3", "stash-capacity")]
    [InlineData("loglevel = LOUD", "loglevel")]
    [InlineData("dispatchers { io { threads = 2 } }", "dispatchers")]
    public void An_out_of_range_setting_is_rejected_with_a_config_exception_naming_it(string setting, string name)
    {
        var config = ConfigurationFactory.ParseString("akkaraft.actor { " + setting + " }");
        var error = Assert.Throws<ConfigException>(() => ActorSystemSettings.FromConfig(config.GetConfig("akkaraft.actor")));
        Assert.Contains(name, error.Message);
    }

    [Fact]
    public void A_test_kit_and_a_simulated_system_take_their_settings_from_hocon()
    {
        var config = ConfigurationFactory.ParseString("""
            akkaraft.actor {
              throughput = 9
              stdout-loglevel = OFF
              testkit.single-expect-default = 250ms
            }
            """).WithFallback(ConfigurationFactory.Default());
        using var kit = new TestKit.TestKit(config);
        Assert.Equal(9, kit.Sys.Settings.Throughput);
        Assert.Equal(TimeSpan.FromMilliseconds(250), kit.TestKitSettings.SingleExpectDefault);
        var world = new SimulationWorld(1);
        Assert.Equal(9, world.CreateSystem("sim", config).Settings.Throughput);
    }

    [Fact]
    public void A_deployment_in_configuration_chooses_the_mailbox_of_an_actor_path()
    {
        var config = ConfigurationFactory.ParseString("""
            akkaraft.actor {
              stdout-loglevel = OFF
              dispatchers { io { throughput = 3 } }
              deployment { "/user/small" { mailbox-capacity = 1, dispatcher = io } }
            }
            """).WithFallback(ConfigurationFactory.Default());
        var settings = ActorSystemSettings.FromConfig(config.GetConfig("akkaraft.actor"));
        Assert.Equal(new Deployment("io", 1), settings.Deployments["/user/small"]);
        var world = new SimulationWorld(2);
        var system = world.CreateSystem("deployed", settings);
        var small = system.ActorOf(Props.Create<Echo>(), "small");
        var other = system.ActorOf(Props.Create<Echo>(), "other");
        small.Tell(new Ping(1), null);
        small.Tell(new Ping(2), null);
        other.Tell(new Ping(1), null);
        other.Tell(new Ping(2), null);
        Assert.Equal(1, system.MailboxOverflowCount);
    }

    [Theory]
    [InlineData("deployment { \"/user/x\" { dispatcher = missing } }", "dispatcher")]
    [InlineData("deployment { \"elsewhere\" { mailbox-capacity = 1 } }", "deployment")]
    [InlineData("deployment { \"/user/x\" { threads = 1 } }", "deployment")]
    public void An_invalid_deployment_is_rejected_with_a_config_exception(string setting, string name)
    {
        var config = ConfigurationFactory.ParseString("akkaraft.actor { " + setting + " }");
        var error = Assert.Throws<ConfigException>(() => ActorSystemSettings.FromConfig(config.GetConfig("akkaraft.actor")));
        Assert.Contains(name, error.Message);
    }
}
