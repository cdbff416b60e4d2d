namespace AkkaRaft.Configuration;

/// <summary>Hands the resolved configuration to Akka: rendered as JSON (valid HOCON), which Akka's parser reads exactly.</summary>
public static class AkkaHandover
{
    /// <summary>The whole resolved tree as Akka's configuration.</summary>
    public static Akka.Configuration.Config ToAkkaConfig(Config resolved)
    {
        ArgumentNullException.ThrowIfNull(resolved);
        return Akka.Configuration.ConfigurationFactory.ParseString(resolved.ToJson(indented: false));
    }
}
