using AkkaRaft.Configuration;

namespace AkkaRaft.Remote.Tests;

public sealed class RemoteSettingsTests
{
    [Fact]
    public void Reference_conf_defaults_match_the_record_defaults_and_bind_loopback()
    {
        var settings = RemoteSettings.FromConfig(ConfigurationFactory.Default());

        Assert.Equal(new RemoteSettings() with { Tls = null }, settings);
        Assert.Equal("127.0.0.1", settings.Hostname);
    }

    [Fact]
    public void An_out_of_range_frame_size_is_reported_with_its_setting_name()
    {
        var config = ConfigurationFactory.ParseString("akkaraft.remote.maximum-frame-size-bytes = 10")
            .WithFallback(ConfigurationFactory.Default());

        var error = Assert.Throws<ConfigException>(() => RemoteSettings.FromConfig(config));

        Assert.Contains("maximum-frame-size-bytes", error.Message);
    }

    [Fact]
    public void A_backoff_maximum_below_its_minimum_is_reported_with_both_setting_names()
    {
        var config = ConfigurationFactory.ParseString("akkaraft.remote { reconnect-backoff-min = 2s, reconnect-backoff-max = 1s }")
            .WithFallback(ConfigurationFactory.Default());

        var error = Assert.Throws<ConfigException>(() => RemoteSettings.FromConfig(config));

        Assert.Contains("reconnect-backoff-max must be at least reconnect-backoff-min", error.Message);
    }

    [Fact]
    public void Tls_turned_on_without_readable_certificate_files_is_a_config_error()
    {
        var config = ConfigurationFactory.ParseString("akkaraft.remote.tls { enabled = on, certificate-path = \"/nonexistent.pfx\", trusted-certificates-path = \"/nonexistent.pem\" }")
            .WithFallback(ConfigurationFactory.Default());

        var error = Assert.Throws<ConfigException>(() => RemoteSettings.FromConfig(config));

        Assert.Contains("/nonexistent.pfx", error.Message);
    }
}
