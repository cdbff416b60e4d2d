using System.CommandLine;
using AkkaRaft.Configuration;

namespace AkkaRaft.Server.Cli;

/// <summary>
/// <c>akkaraft config show [--file F] [--json] [--set path=value]... [--origins] [--show-secrets]</c>: prints the configuration a
/// node would run with, its <c>akka</c> section (what the node hands Akka.NET, whose own defaults lie under it) and
/// its <c>akkaraft</c> section: reference.conf, then the file, then AKKARAFT__* environment variables, then --set
/// options (highest precedence). Secrets are masked unless --show-secrets is given (<see cref="SecretSettings"/>
/// says which settings are secret), so the output can be pasted into a ticket. Exit 0; on a bad file, unknown setting, parse error, a value the settings
/// records refuse or an akka value Akka.NET would not read back as resolved, one message on stderr and exit 2.
/// </summary>
public static class ConfigCommands
{
    /// <summary>
    /// The settings records read from the configuration, so that <c>config show</c> refuses what a node would
    /// refuse at start. Each part adds its <c>FromConfig</c> here when it adds its section.
    /// </summary>
    private static readonly Func<Config, object>[] SettingsReaders =
    [
        NodeSettings.FromConfig,
        AkkaRaft.Raft.Remoting.RemotingSettings.FromConfig,
        AkkaRaft.Raft.Persistence.RaftPersistenceSettings.FromConfig,
        AkkaRaft.Kv.KvSettings.FromConfig,
        AkkaRaft.TimeSeries.TimeSeriesSettings.FromConfig,
        AkkaRaft.Raft.Peer.RaftPeerSettings.FromConfig,
        Node.ServerSettings.FromConfig,
        Limits.ClientLimitsSettings.FromConfig,
    ];

    /// <summary>
    /// Reads every settings record from <paramref name="config"/> and hands its <c>akka</c> section to Akka.NET's
    /// parser (<see cref="AkkaHandover.ToAkkaConfig"/>), so that a bad value is refused before anything starts.
    /// </summary>
    /// <exception cref="ConfigException">A settings record refuses a value, or Akka would read an akka value
    /// differently from how it was resolved.</exception>
    public static void Validate(Config config)
    {
        foreach (var read in SettingsReaders)
        {
            read(config);
        }

        AkkaHandover.ToAkkaConfig(config);
    }

    /// <summary>Builds the <c>config</c> command group.</summary>
    public static Command Create(CliEnvironment environment)
    {
        var config = new Command("config", "Inspect the configuration (reference.conf, your file with akka { } and akkaraft { }, AKKARAFT__* environment variables).");
        config.Add(CreateShow(environment));
        AkkaRaftCommandLine.ShowHelpWhenInvokedAlone(config);
        return config;
    }

    private static Command CreateShow(CliEnvironment environment)
    {
        var file = new Option<string?>("--file", "-f")
        {
            Description = "A HOCON file with your settings, over reference.conf.",
            HelpName = "path",
        };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of HOCON." };
        var origins = new Option<bool>("--origins")
        {
            Description = "In HOCON output, say above each setting where its value came from.",
        };
        var showSecrets = new Option<bool>("--show-secrets")
        {
            Description = $"Print secrets in clear. Without it, a non-empty setting named password or *-password prints as {SecretSettings.Mask}, "
                + "and so does the Password= (Pwd=, Psw=) value inside a connection-string; an empty one stays empty.",
        };
        var set = new Option<string[]>("--set", "-s")
        {
            Description = "Override a setting, highest precedence: --set akkaraft.node.id=node-2, --set akka.loglevel=DEBUG (repeatable).",
            HelpName = "path=value",
            Arity = ArgumentArity.ZeroOrMore,
        };

        var show = new Command("show", $"Print the resolved configuration as HOCON (default) or JSON, passwords masked as {SecretSettings.Mask} (see --show-secrets).")
        {
            file, json, origins, set, showSecrets,
        };
        show.SetAction(parseResult =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            try
            {
                var overrides = ParseOverrides(parseResult.GetValue(set) ?? []);
                var resolved = AkkaRaftConfig.Load(parseResult.GetValue(file), environment.Variables, overrides);
                Validate(resolved);

                var shown = parseResult.GetValue(showSecrets) ? resolved : resolved.WithSecretsMasked();
                output.Write(parseResult.GetValue(json) ? shown.ToJson() : shown.ToHocon(parseResult.GetValue(origins)));
                return AkkaRaftCommandLine.ExitOk;
            }
            catch (ConfigException e)
            {
                error.WriteLine($"akkaraft: {e.Message}");
                return AkkaRaftCommandLine.ExitBadInput;
            }
        });
        return show;
    }

    /// <summary>Turns <c>path=value</c> options into overrides; a later option for the same path wins.</summary>
    /// <exception cref="ConfigException">An option has no '='.</exception>
    public static IReadOnlyDictionary<string, string> ParseOverrides(IEnumerable<string> options)
    {
        var overrides = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var option in options)
        {
            var equals = option.IndexOf('=');
            if (equals <= 0)
            {
                throw new ConfigException($"--set {option}: expected path=value, such as --set akkaraft.node.id=node-2");
            }

            overrides[option[..equals].Trim()] = option[(equals + 1)..];
        }

        return overrides;
    }
}
