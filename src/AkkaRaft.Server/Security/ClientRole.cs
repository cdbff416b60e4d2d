namespace AkkaRaft.Server.Security;

/// <summary>
/// What a bearer token may do on the client ports (issue #19), each role including the one below it:
/// <see cref="Read"/> &lt; <see cref="Write"/> &lt; <see cref="Admin"/>.
/// </summary>
public enum ClientRole
{
    /// <summary>Reads, listings, watches, status and metrics.</summary>
    Read = 1,

    /// <summary>Also writes, deletes, sessions, locks, time-series appends and state-machine commands.</summary>
    Write = 2,

    /// <summary>Also membership (join, remove, voters), leadership transfer and configuration.</summary>
    Admin = 3,
}

/// <summary>The roles' names as the token file and the problems spell them.</summary>
public static class ClientRoles
{
    /// <summary>read, write or admin.</summary>
    public static string Name(this ClientRole role) => role switch
    {
        ClientRole.Read => "read",
        ClientRole.Write => "write",
        ClientRole.Admin => "admin",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "not a client role"),
    };

    /// <summary>Parses read, write or admin (case-insensitive).</summary>
    public static bool TryParse(string text, out ClientRole role)
    {
        role = text.ToLowerInvariant() switch
        {
            "read" => ClientRole.Read,
            "write" => ClientRole.Write,
            "admin" => ClientRole.Admin,
            _ => 0,
        };
        return role != 0;
    }
}
