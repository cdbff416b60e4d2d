using System.CommandLine;
using AkkaRaft.Server.Security;

namespace AkkaRaft.Server.Cli;

/// <summary>
/// <c>akkaraft token new</c> and <c>akkaraft token hash</c>: what an operator fills <c>akkaraft.http.auth.token-file</c>
/// with. Neither talks to a cluster.
/// </summary>
public static class TokenCliCommands
{
    /// <summary>Builds <c>token</c>.</summary>
    public static Command Create()
    {
        var token = new Command("token", "Make bearer tokens and the lines of akkaraft.http.auth.token-file.");
        token.Add(New());
        token.Add(Hash());
        AkkaRaftCommandLine.ShowHelpWhenInvokedAlone(token);
        return token;
    }

    private static (Option<string> Name, Option<string> Role) NameAndRole()
    {
        var name = new Option<string>("--name") { Description = "Who holds the token (shown in problems instead of the token).", Required = true, HelpName = "name" };
        var role = new Option<string>("--role") { Description = "read, write or admin.", Required = true, HelpName = "role" };
        return (name, role);
    }

    private static Command New()
    {
        var command = new Command("new", "Draw a random token (256 bits): prints the token, then its token-file line (the hash only).");
        var (name, role) = NameAndRole();
        command.Add(name);
        command.Add(role);
        command.SetAction(async (result, _) =>
        {
            if (Check(result, name, role) is not { } holder) return await BadAsync(result, name, role).ConfigureAwait(false);
            var value = AccessTokens.NewToken();
            var output = result.InvocationConfiguration.Output;
            await output.WriteLineAsync(value).ConfigureAwait(false);
            await output.WriteLineAsync(AccessTokens.Line(holder.Name, holder.Role, value)).ConfigureAwait(false);
            return AkkaRaftCommandLine.ExitOk;
        });
        return command;
    }

    private static Command Hash()
    {
        var command = new Command("hash", "Print the token-file line of a token read from standard input (so that it shows in no process list).");
        var (name, role) = NameAndRole();
        command.Add(name);
        command.Add(role);
        command.SetAction(async (result, _) =>
        {
            if (Check(result, name, role) is not { } holder) return await BadAsync(result, name, role).ConfigureAwait(false);
            var value = (await Console.In.ReadLineAsync().ConfigureAwait(false))?.Trim() ?? "";
            if (value.Length == 0)
            {
                await result.InvocationConfiguration.Error.WriteLineAsync("akkaraft: no token on standard input").ConfigureAwait(false);
                return AkkaRaftCommandLine.ExitBadInput;
            }

            await result.InvocationConfiguration.Output.WriteLineAsync(AccessTokens.Line(holder.Name, holder.Role, value)).ConfigureAwait(false);
            return AkkaRaftCommandLine.ExitOk;
        });
        return command;
    }

    private static TokenHolder? Check(ParseResult result, Option<string> name, Option<string> role)
    {
        var n = result.GetValue(name) ?? "";
        return n.Length > 0 && !n.Any(char.IsWhiteSpace) && ClientRoles.TryParse(result.GetValue(role) ?? "", out var r) ? new TokenHolder(n, r) : null;
    }

    private static async Task<int> BadAsync(ParseResult result, Option<string> name, Option<string> role)
    {
        await result.InvocationConfiguration.Error.WriteLineAsync(
            $"akkaraft: --name must be one word and --role read, write or admin (got '{result.GetValue(name)}', '{result.GetValue(role)}')").ConfigureAwait(false);
        return AkkaRaftCommandLine.ExitBadInput;
    }
}
