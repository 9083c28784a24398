using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Coffer.Server.Audit;
using Coffer.Server.Pipeline;

namespace Coffer.Server.Admin;

/// <summary>The KMS audit log: entries since a time, for one key, at most a limit.</summary>
public static partial class AdminApi
{
    /// <summary>Entries answered when the request names no limit, and the most one answer holds.</summary>
    public const int DefaultAuditLimit = 1000, MaxAuditLimit = 10000;

    private static readonly JsonSerializerOptions AuditJson = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    private static async Task<(int, JsonObject?)> ReadAuditAsync(CofferServices s, RequestQuery query, CancellationToken ct)
    {
        DateTimeOffset? since = null;
        if (query.Get("since") is { } sinceText)
        {
            if (!DateTimeOffset.TryParse(sinceText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
                throw new AdminApiException(400, "InvalidRequest", $"since '{Printable(sinceText)}' is not an ISO 8601 time such as 2026-11-28T12:00:00Z.");
            since = parsed;
        }
        var limit = DefaultAuditLimit;
        if (query.Get("limit") is { } limitText
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxAuditLimit))
            throw new AdminApiException(400, "InvalidRequest", $"limit must be a whole number from 1 to {MaxAuditLimit}; got '{Printable(limitText)}'.");
        string? keyId = null;
        if (query.Get("key") is { Length: > 0 } reference)
        {
            keyId = await ResolveAuditKeyAsync(s, reference, ct)
                ?? throw new AdminApiException(404, "NotFoundException", $"The alias '{Printable(reference)}' names no key, or several users have it; give the key id.");
        }

        var entries = new JsonArray();
        var truncated = false;
        if (s.Audit.Store is { } shared)
        {
            // The log every node sharing the database writes: this node's queued entries first, then one query.
            await s.Audit.FlushAsync(ct);
            var records = await shared.ReadKmsAuditAsync(since, limit + 1, keyId, ct);
            truncated = records.Count > limit;
            foreach (var record in records.Take(limit))
                entries.Add(JsonNode.Parse(record.Json));
            return (200, new JsonObject { ["entries"] = entries, ["truncated"] = truncated });
        }
        await foreach (var entry in KmsAuditLog.ReadAsync(KmsAuditLog.FolderOf(s.Folder.Root), since, ct))
        {
            if (since is { } from && entry.Time < from)
                continue;
            if (keyId is not null && entry.KeyId != keyId && entry.SourceKeyId != keyId)
                continue;
            if (entries.Count == limit)
            {
                truncated = true;
                break;
            }
            entries.Add(JsonSerializer.SerializeToNode(entry, AuditJson));
        }
        return (200, new JsonObject { ["entries"] = entries, ["truncated"] = truncated });
    }

    /// <summary>A key id from an id, a key ARN, or an alias that exactly one user has (null otherwise).</summary>
    private static async Task<string?> ResolveAuditKeyAsync(CofferServices s, string reference, CancellationToken ct)
    {
        var resource = reference.StartsWith("arn:", StringComparison.Ordinal) && reference.Split(':', 6) is { Length: 6 } parts ? parts[5] : reference;
        if (resource.StartsWith("key/", StringComparison.Ordinal))
            return resource["key/".Length..];
        if (!resource.StartsWith("alias/", StringComparison.Ordinal))
            return resource;
        var matches = (await s.Store.ListAliasesAsync(null, ct)).Where(a => a.Alias == resource).Select(a => a.KeyId).Distinct().ToList();
        return matches.Count == 1 ? matches[0] : null;
    }
}
