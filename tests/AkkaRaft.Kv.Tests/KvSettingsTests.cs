using AkkaRaft.Configuration;

namespace AkkaRaft.Kv.Tests;

public sealed class KvSettingsTests
{
    [Fact]
    public void Reference_conf_should_give_the_documented_defaults()
    {
        var settings = KvSettings.Default;

        Assert.Equal(1024, settings.MaxKeyBytes);
        Assert.Equal(1024 * 1024, settings.MaxValueBytes);
        Assert.Equal(10000, settings.MaxListResults);
        Assert.Equal(2 * 1024 * 1024, settings.MaxListBytes);
        Assert.Equal(1000, settings.MaxBatchKeys);
    }

    [Fact]
    public void A_user_file_should_override_the_defaults()
    {
        var settings = KvSettings.FromConfig(Parse("akkaraft.kv { max-key-bytes = 256, max-value-bytes = 4MiB, max-list-results = 50, max-list-bytes = 1KiB, max-batch-keys = 7 }"));

        Assert.Equal(new KvSettings(256, 4 * 1024 * 1024, 50, 1024, 7), settings);
    }

    [Theory]
    [InlineData("max-key-bytes = 0", "akkaraft.kv.max-key-bytes")]
    [InlineData("max-value-bytes = 4GiB", "akkaraft.kv.max-value-bytes")]
    [InlineData("max-list-results = 0", "akkaraft.kv.max-list-results")]
    [InlineData("max-list-bytes = 0", "akkaraft.kv.max-list-bytes")]
    [InlineData("max-batch-keys = 0", "akkaraft.kv.max-batch-keys")]
    [InlineData("max-batch-keys = 100001", "akkaraft.kv.max-batch-keys")]
    public void An_out_of_range_setting_should_be_refused_naming_its_path(string setting, string path)
    {
        var error = Assert.Throws<ConfigException>(() => KvSettings.FromConfig(Parse($"akkaraft.kv {{ {setting} }}")));

        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void A_setting_of_the_wrong_type_should_be_refused()
    {
        Assert.Throws<ConfigException>(() => KvSettings.FromConfig(Parse("akkaraft.kv.max-key-bytes = lots")));
    }

    private static Config Parse(string text) => ConfigurationFactory.ParseString(text, "test").WithFallback(ConfigurationFactory.Default());
}
