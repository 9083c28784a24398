using System.CommandLine;

namespace Coffer.Cli;

/// <summary>
/// How `coffer admin …` and `coffer kms audit` choose between the server's admin API and a data folder: an explicit
/// <c>--data DIR</c> opens the folder (a stopped embedded server, or the same machine); otherwise <c>--endpoint</c>, or
/// an endpoint of the profile (COFFER_ENDPOINT, `coffer config set --endpoint`), uses the admin API
/// (docs/admin-api.md) with the profile's key pair, which must be the root user's; with neither, the folder
/// <c>coffer-data</c> is opened as before.
/// </summary>
internal static class AdminEndpoint
{
    /// <summary>The <c>--endpoint</c> option of an admin command.</summary>
    public static Option<string?> Option() => new("--endpoint")
    {
        Description = "Use this server's admin API (https://HOST:PORT) instead of the profile's endpoint; the profile's key pair must be the root user's.",
        HelpName = "URL",
    };

    /// <summary>Whether the command goes to the admin API; null (after printing why) when both --data and --endpoint are given.</summary>
    public static bool? UseApi(ParseResult parse, Option<string> data, Option<string?> endpoint)
    {
        try
        {
            return Choose(parse, data, endpoint);
        }
        catch (UsageException e)
        {
            Output.Error(e.Message);
            return null;
        }
    }

    private static bool Choose(ParseResult parse, Option<string> data, Option<string?> endpoint)
    {
        var dataGiven = parse.GetResult(data) is { Implicit: false };
        if (parse.GetValue(endpoint) is not null)
        {
            if (dataGiven)
                throw new UsageException("give either --data DIR (open the data folder) or --endpoint URL (use the admin API), not both.");
            return true;
        }
        if (dataGiven)
            return false;
        try
        {
            return CliConfig.Resolve(parse.GetValue(GlobalOptions.Profile)).Endpoint.Value is not null;
        }
        catch (UsageException)
        {
            // A named profile that does not exist: the admin API path reports it with the usual message.
            return true;
        }
    }
}
