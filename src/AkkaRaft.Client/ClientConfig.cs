using Akka.Configuration;

namespace AkkaRaft.Client;

/// <summary>The configuration an actor system needs to speak the client protocol with AkkaRaft servers.</summary>
public static class ClientConfig
{
    private const string ResourceName = "AkkaRaft.Client.reference.conf";

    private static readonly Lazy<Config> DefaultConfig = new(Load);

    /// <summary>
    /// The embedded <c>reference.conf</c> of this assembly: the client serializer (<c>raft-client</c>, id 103) and its
    /// binding to <see cref="IRaftClientMessage"/>. Add it under your own configuration with <c>WithFallback</c>.
    /// </summary>
    public static Config Default => DefaultConfig.Value;

    private static Config Load()
    {
        using var stream = typeof(ClientConfig).Assembly.GetManifestResourceStream(ResourceName)
                           ?? throw new InvalidOperationException($"The assembly lost its embedded {ResourceName}: the build is broken.");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }
}
