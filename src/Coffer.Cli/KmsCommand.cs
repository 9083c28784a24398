using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Coffer.Server.Audit;

namespace Coffer.Cli;

/// <summary>
/// `coffer kms …`: the key commands over the server's KMS API (KmsCommand.Keys.cs), and `coffer kms audit`, which reads
/// the KMS audit log over the admin API or from a data folder.
/// </summary>
internal static partial class KmsCommand
{
    public static Command Create()
    {
        var command = new Command("kms", """
            The built-in KMS: keys for SSE-KMS, and the audit log of their use.

            The key commands use the server's AWS-KMS-compatible API; audit reads the log over the admin API or from the data folder.

            Examples:
              coffer kms create-key --description backups --alias alias/backups
              coffer cp ./db.dump cos://backups/ --sse cos/kms --sse-kms-key-id alias/backups
            """);
        foreach (var key in KeyCommands())
            command.Subcommands.Add(key);
        command.Subcommands.Add(Audit());
        return command;
    }

    private static Command Audit()
    {
        var data = new Option<string>("--data") { Description = "Data folder of the server, opened directly (default coffer-data when no endpoint is configured).", DefaultValueFactory = _ => "coffer-data" };
        var endpoint = AdminEndpoint.Option();
        var limit = new Option<int?>("--limit") { Description = $"Show at most this many entries (1 to {Coffer.Server.Admin.AdminApi.MaxAuditLimit}); over the admin API the server's default is {Coffer.Server.Admin.AdminApi.DefaultAuditLimit}." };
        var key = new Option<string?>("--key") { Description = "Only entries of this KMS key (id, key ARN, or alias while it exists)." };
        var since = new Option<string?>("--since") { Description = "Only entries since this time: ISO 8601 (2026-11-28T12:00Z; UTC unless an offset is given) or an age such as 90s, 15m, 2h, 7d." };
        var json = new Option<bool>("--json") { Description = "Print the entries as JSON lines." };
        var command = new Command("audit", """
            Show the KMS audit log: one entry per key use, oldest first.

            Entries: KMS API calls, SSE wraps on PUT and unwraps on GET, automatic rotations, key destructions
            and rekeys, with time, who, operation, key, object and outcome. Entries name encryption-context keys but never their values, and never key material.

            With --endpoint (or a profile endpoint) the log is read over the server's admin API, as the root
            user; with --data it is read from the data folder.

            Examples:
              coffer kms audit --data /srv/coffer --since 1h
              coffer kms audit --endpoint https://coffer.example:8443 --since 15m --limit 100
              coffer kms audit --key alias/photos --json
            """) { data, endpoint, key, since, limit, json };
        command.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(limit) is { } max && max is < 1 or > Coffer.Server.Admin.AdminApi.MaxAuditLimit)
            {
                Console.Error.WriteLine($"coffer kms audit: --limit must be from 1 to {Coffer.Server.Admin.AdminApi.MaxAuditLimit}.");
                return 2;
            }
            DateTimeOffset? from = null;
            if (parse.GetValue(since) is { } text)
            {
                if (ParseSince(text, DateTimeOffset.UtcNow) is not { } parsed)
                {
                    Console.Error.WriteLine($"coffer kms audit: --since '{text}' is neither an ISO 8601 time nor an age like 15m, 2h or 7d.");
                    return 2;
                }
                from = parsed;
            }
            if (AdminEndpoint.UseApi(parse, data, endpoint) is not { } remote)
                return ExitCodes.Usage;
            if (remote)
                return await AuditRemoteAsync(parse, json, endpoint, from, parse.GetValue(key), parse.GetValue(limit), ct);
            var dataDirectory = Path.GetFullPath(parse.GetValue(data)!);
            string? keyId = null;
            if (parse.GetValue(key) is { } reference)
            {
                keyId = await ResolveKeyAsync(dataDirectory, reference, ct);
                if (keyId is null)
                {
                    Console.Error.WriteLine($"coffer kms audit: the alias '{reference}' names no key in {dataDirectory}, or several users have it; give the key id.");
                    return 3;
                }
            }
            var folder = KmsAuditLog.FolderOf(dataDirectory);
            if (!Directory.Exists(folder))
            {
                Console.Error.WriteLine($"coffer kms audit: {dataDirectory} has no audit log yet (no {KmsAuditLog.FolderName}/ folder). A node whose metadata is on PostgreSQL keeps the log in the database: read it with --endpoint.");
                return 1;
            }
            var shown = 0;
            await foreach (var entry in KmsAuditLog.ReadAsync(folder, from, ct))
            {
                if (from is { } f && entry.Time < f)
                    continue;
                if (keyId is not null && entry.KeyId != keyId && entry.SourceKeyId != keyId)
                    continue;
                if (parse.GetValue(limit) is { } most && shown == most)
                {
                    Console.Error.WriteLine($"coffer kms audit: more entries match than --limit {most}; narrow them with --since or --key.");
                    break;
                }
                Console.WriteLine(parse.GetValue(json) ? JsonSerializer.Serialize(entry, AuditJsonOptions) : Format(entry));
                shown++;
            }
            return 0;
        });
        return command;
    }

    private static readonly JsonSerializerOptions AuditJsonOptions = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    /// <summary>The audit log over the admin API: the same lines (or JSON lines) as from a data folder.</summary>
    private static Task<int> AuditRemoteAsync(ParseResult parse, Option<bool> json, Option<string?> endpoint, DateTimeOffset? since, string? key, int? limit, CancellationToken ct) =>
        Output.RunAsync(parse, json, async (run, ct) =>
        {
            run.EndpointOverride = parse.GetValue(endpoint);
            run.KmsKey = key;
            var page = await run.Connection.Admin.ReadKmsAuditAsync(since, limit, key, ct);
            foreach (var record in page.Entries)
            {
                var entry = new KmsAuditEntry
                {
                    Time = record.Time,
                    Source = record.Source,
                    Principal = record.Principal,
                    AccessKeyId = record.AccessKeyId,
                    RequestId = record.RequestId,
                    Operation = record.Operation,
                    KeyId = record.KeyId,
                    KeyVersion = record.KeyVersion,
                    SourceKeyId = record.SourceKeyId,
                    Bucket = record.Bucket,
                    Object = record.Object,
                    Mode = record.Mode,
                    Cached = record.Cached,
                    ContextKeys = record.ContextKeys,
                    RotationType = record.RotationType,
                    Outcome = record.Outcome,
                    Error = record.Error,
                };
                Console.WriteLine(run.Json ? JsonSerializer.Serialize(entry, AuditJsonOptions) : Format(entry));
            }
            if (page.Truncated)
                Console.Error.WriteLine($"coffer kms audit: more entries match than the {page.Entries.Count} shown; narrow them with --since or --key, or raise --limit (at most {Coffer.Server.Admin.AdminApi.MaxAuditLimit}).");
            return 0;
        }, ct);

    /// <summary>"2026-11-28T12:00Z" (UTC unless an offset is given), or an age before <paramref name="now"/>: 90s, 15m, 2h, 7d.</summary>
    internal static DateTimeOffset? ParseSince(string text, DateTimeOffset now)
    {
        text = text.Trim();
        if (text.Length >= 2 && char.IsAsciiDigit(text[0]) && "smhd".Contains(text[^1], StringComparison.Ordinal)
            && long.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
        {
            return text[^1] switch
            {
                's' => now.AddSeconds(-amount),
                'm' => now.AddMinutes(-amount),
                'h' => now.AddHours(-amount),
                _ => now.AddDays(-amount),
            };
        }
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time
            : null;
    }

    /// <summary>A key id from an id, a key ARN, or an alias (looked up in the data folder's database; null when no user or several have it).</summary>
    private static async Task<string?> ResolveKeyAsync(string dataDirectory, string reference, CancellationToken ct)
    {
        var resource = reference.StartsWith("arn:", StringComparison.Ordinal) && reference.Split(':', 6) is { Length: 6 } parts ? parts[5] : reference;
        if (resource.StartsWith("key/", StringComparison.Ordinal))
            return resource["key/".Length..];
        if (!resource.StartsWith("alias/", StringComparison.Ordinal))
            return resource;
        var database = Path.Combine(dataDirectory, "meta.db");
        if (!File.Exists(database))
            return null;
        await using var store = await Coffer.Server.Hosting.Backends.OpenMetadataAsync(null, new Coffer.Server.Hosting.DataFolder(dataDirectory), ct);
        // Aliases are per user; an administrator's --key names one only when exactly one user has it.
        var matches = (await store.ListAliasesAsync(null, ct)).Where(a => a.Alias == resource).Select(a => a.KeyId).Distinct().ToList();
        return matches.Count == 1 ? matches[0] : null;
    }

    private static string Format(KmsAuditEntry e)
    {
        var target = e.Bucket is null ? "" : $"  {e.Bucket}/{e.Object}";
        var details = string.Join(' ', new[]
        {
            e.KeyVersion is { } v ? $"v{v}" : null,
            e.SourceKeyId is { } source ? $"from {source}" : null,
            e.Cached == true ? "cached" : null,
            e.RotationType,
        }.Where(x => x is not null));
        var outcome = e.Outcome == KmsAuditEntry.Ok ? "ok" : $"error {e.Error}";
        return $"{e.Time.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ}  {e.Source,-6} {e.Principal ?? "-",-20} {e.Operation,-22} {e.KeyId ?? "-",-36}{target}  {details}{(details.Length > 0 ? "  " : "")}{outcome}";
    }
}
