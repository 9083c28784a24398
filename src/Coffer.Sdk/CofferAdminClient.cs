using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Coffer.Protocol.Auth;

namespace Coffer.Sdk;

/// <summary>
/// Calls of a Coffer server that <see cref="CosClient"/> and <see cref="KmsClient"/> have no method for: the admin
/// API (<c>/_coffer/admin/…</c>: users, temporary credentials, rekey jobs, the KMS audit log; docs/admin-api.md),
/// ListBuckets, and any KMS operation by name. Requests are signed with the configured signature (COS or SigV4) in the
/// Authorization header, as <see cref="CosClient"/> signs its own, through the same HTTP handler (TLS trust, timeouts).
/// The admin API answers the root user's own key only, over HTTPS. Errors are <see cref="CofferException"/> (the
/// server's code and message) or <see cref="CosClientException"/> (network, timeout, unreadable answer). No retries:
/// adding a user is not idempotent.
/// </summary>
public sealed class CofferAdminClient : IDisposable
{
    private const string AdminPrefix = "/_coffer/admin/";
    private readonly CosConfig _config;
    private readonly HttpClient _http;
    private readonly Uri _base;

    /// <summary>Creates the client.</summary>
    /// <param name="config">The settings: endpoint, key pair (the root user's for the admin API), signature, TLS.</param>
    /// <param name="handler">The handler that sends requests, or null for <see cref="CosClient.CreateDefaultHandler"/>.</param>
    public CofferAdminClient(CosConfig config, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (string.IsNullOrEmpty(config.Endpoint))
        {
            throw new ArgumentException("CofferAdminClient needs CosConfig.Endpoint (the server's https:// address).", nameof(config));
        }

        _config = config.Clone();
        _http = new HttpClient(handler ?? CosClient.CreateDefaultHandler(_config), disposeHandler: true) { Timeout = _config.Timeout };
        var endpoint = _config.Endpoint!.Contains("://", StringComparison.Ordinal) ? _config.Endpoint! : _config.Scheme + "://" + _config.Endpoint;
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("http" or "https"))
        {
            throw new CosClientException(CosClientErrorKind.InvalidArgument, $"The endpoint '{_config.Endpoint}' is not an http:// or https:// address.");
        }

        _base = baseUri;
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    /// <summary>Lists the users (never their secrets).</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<IReadOnlyList<CofferUser>> ListUsersAsync(CancellationToken cancellationToken = default)
    {
        var output = await AdminAsync(HttpMethod.Get, "users", null, null, cancellationToken).ConfigureAwait(false);
        return (output["users"] as JsonArray ?? []).Select(u => ToUser(u as JsonObject ?? [])).ToList();
    }

    /// <summary>Adds a user with a fresh key pair; the answer holds its secret key, shown only this once.</summary>
    /// <param name="name">The new user's name: 1 to 64 letters, digits and <c>. _ - @ + = ,</c>.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="CofferException"><c>UserAlreadyExists</c> when the name is taken.</exception>
    public async Task<CofferNewUser> AddUserAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var output = await AdminAsync(HttpMethod.Post, "users", null, new JsonObject { ["name"] = name }, cancellationToken).ConfigureAwait(false);
        return new CofferNewUser(ToUser(output), Text(output, "secretKey") ?? throw Unreadable("the new user's secretKey"));
    }

    /// <summary>Removes a user: its key pair stops working within seconds; its buckets and KMS keys stay, owned by its id.</summary>
    /// <param name="nameOrAccessKeyId">The user's name or access key id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="CofferException"><c>NoSuchUser</c>; <c>CannotRemoveRootUser</c> for the root user.</exception>
    public Task RemoveUserAsync(string nameOrAccessKeyId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(nameOrAccessKeyId);
        return AdminAsync(HttpMethod.Delete, "users/" + Uri.EscapeDataString(nameOrAccessKeyId), null, null, cancellationToken);
    }

    /// <summary>Issues temporary credentials (key pair + session token) acting as a user.</summary>
    /// <param name="nameOrAccessKeyId">The user's name or access key id.</param>
    /// <param name="duration">Their lifetime, 60 seconds to 36 hours; null for one hour.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<CofferTemporaryCredentials> IssueTemporaryCredentialsAsync(string nameOrAccessKeyId, TimeSpan? duration = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(nameOrAccessKeyId);
        var input = new JsonObject();
        if (duration is { } d)
        {
            input["durationSeconds"] = (long)d.TotalSeconds;
        }

        var output = await AdminAsync(HttpMethod.Post, "users/" + Uri.EscapeDataString(nameOrAccessKeyId) + "/temporary-credentials", null, input, cancellationToken).ConfigureAwait(false);
        return new CofferTemporaryCredentials(
            Text(output, "user") ?? nameOrAccessKeyId,
            Text(output, "accessKeyId") ?? throw Unreadable("accessKeyId"),
            Text(output, "secretKey") ?? throw Unreadable("secretKey"),
            Text(output, "sessionToken") ?? throw Unreadable("sessionToken"),
            Time(output, "expiration") ?? throw Unreadable("expiration"));
    }

    /// <summary>Starts (or continues) a rekey job on the node that answers; it runs in the background there.</summary>
    /// <param name="request">What to re-wrap.</param>
    /// <param name="cancellationToken">Cancels the request (not the job: see <see cref="StopRekeyJobAsync"/>).</param>
    /// <exception cref="CofferException"><c>NoSuchBucket</c>; <c>InvalidRequest</c> for an unusable key; <c>RekeyJobRunning</c>.</exception>
    public async Task<RekeyJobStatus> StartRekeyJobAsync(RekeyJobRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var input = new JsonObject { ["bucket"] = request.Bucket, ["toKey"] = request.ToKey, ["prefix"] = request.Prefix };
        if (request.FromKey is not null)
        {
            input["fromKey"] = request.FromKey;
        }

        if (request.Limit is { } limit)
        {
            input["limit"] = limit;
        }

        if (request.Restart)
        {
            input["restart"] = true;
        }

        return ToRekey(await AdminAsync(HttpMethod.Post, "rekey-jobs", null, input, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>A rekey job's progress.</summary>
    /// <param name="jobId">The job id <see cref="StartRekeyJobAsync"/> answered.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="CofferException"><c>NoSuchRekeyJob</c>.</exception>
    public async Task<RekeyJobStatus> GetRekeyJobAsync(string jobId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        return ToRekey(await AdminAsync(HttpMethod.Get, "rekey-jobs/" + Uri.EscapeDataString(jobId), null, null, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Stops a rekey job running on the node that answers; its progress is saved, and starting it again continues it.</summary>
    /// <param name="jobId">The job id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<RekeyJobStatus> StopRekeyJobAsync(string jobId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        return ToRekey(await AdminAsync(HttpMethod.Delete, "rekey-jobs/" + Uri.EscapeDataString(jobId), null, null, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Reads the KMS audit log, oldest entry first.</summary>
    /// <param name="since">Only entries at or after this time; null for all.</param>
    /// <param name="limit">At most this many entries (1 to 10000); null for the server's default (1000).</param>
    /// <param name="key">Only entries of this KMS key (id, key ARN, or an alias exactly one user has); null for all.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<KmsAuditPage> ReadKmsAuditAsync(DateTimeOffset? since = null, int? limit = null, string? key = null, CancellationToken cancellationToken = default)
    {
        var query = new List<KeyValuePair<string, string>>();
        if (key is not null)
        {
            query.Add(new("key", key));
        }

        if (limit is { } l)
        {
            query.Add(new("limit", l.ToString(CultureInfo.InvariantCulture)));
        }

        if (since is { } s)
        {
            query.Add(new("since", s.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture)));
        }

        var output = await AdminAsync(HttpMethod.Get, "kms-audit", query, null, cancellationToken).ConfigureAwait(false);
        var entries = (output["entries"] as JsonArray ?? []).Select(e => ToAudit(e as JsonObject ?? [])).ToList();
        return new KmsAuditPage(entries, output["truncated"]?.GetValue<bool>() ?? false);
    }

    /// <summary>ListBuckets (GET / on the endpoint): the caller's buckets.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<IReadOnlyList<BucketSummary>> ListBucketsAsync(CancellationToken cancellationToken = default)
    {
        var text = await SendAsync(HttpMethod.Get, "/", [], null, null, "s3", cancellationToken).ConfigureAwait(false);
        XElement root;
        try
        {
            root = XDocument.Parse(text).Root!;
        }
        catch (System.Xml.XmlException e)
        {
            throw new CosClientException(CosClientErrorKind.InvalidResponse, $"The ListBuckets answer is not XML: {e.Message}", e);
        }

        return root.Descendants().Where(e => e.Name.LocalName == "Bucket").Select(b => new BucketSummary(
            Child(b, "Name") ?? "",
            DateTimeOffset.TryParse(Child(b, "CreationDate"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var created) ? created : null,
            Child(b, "Location"))).ToList();
    }

    /// <summary>One call of the KMS JSON API by name (SigV4, service "kms"), for operations <see cref="KmsClient"/> lacks.</summary>
    /// <param name="operation">The operation, e.g. "ListAliases" (sent as X-Amz-Target: TrentService.NAME).</param>
    /// <param name="input">The request's JSON.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<JsonObject> CallKmsAsync(string operation, JsonObject input, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(operation);
        ArgumentNullException.ThrowIfNull(input);
        var text = await SendAsync(HttpMethod.Post, "/", [], Encoding.UTF8.GetBytes(input.ToJsonString()), "application/x-amz-json-1.1", "kms", cancellationToken,
            [new("x-amz-target", "TrentService." + operation)]).ConfigureAwait(false);
        return ParseObject(text, $"the KMS answer to {operation}");
    }

    private async Task<JsonObject> AdminAsync(HttpMethod method, string path, List<KeyValuePair<string, string>>? query, JsonObject? body, CancellationToken ct)
    {
        var bytes = body is null ? null : Encoding.UTF8.GetBytes(body.ToJsonString());
        var text = await SendAsync(method, AdminPrefix + path, query ?? [], bytes, bytes is null ? null : "application/json", "s3", ct).ConfigureAwait(false);
        return ParseObject(text, "the admin API's answer");
    }

    /// <summary>Signs (configured signature; SigV4 for the KMS service) and sends one request; the body of a 2xx answer.</summary>
    private async Task<string> SendAsync(HttpMethod method, string rawPath, List<KeyValuePair<string, string>> query, byte[]? body, string? contentType,
        string service, CancellationToken ct, List<KeyValuePair<string, string>>? extraHeaders = null)
    {
        var rawQuery = string.Join("&", query.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));
        var target = rawQuery.Length == 0 ? rawPath : rawPath + "?" + rawQuery;
        using var request = new HttpRequestMessage(method, new Uri(_base, target));
        var host = _base.Authority;
        request.Headers.Host = host;
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType!);
        }

        var now = _config.TimeProvider.GetUtcNow();
        var toSign = new List<KeyValuePair<string, string>> { new("host", host) };
        if (body is not null)
        {
            toSign.Add(new("content-length", body.Length.ToString(CultureInfo.InvariantCulture)));
            toSign.Add(new("content-type", contentType!));
        }

        toSign.AddRange(extraHeaders ?? []);
        if (_config.SignatureVersion == SignatureVersion.SigV4 || service == "kms")
        {
            var payloadHash = body is null ? SigV4Signer.EmptySha256 : Convert.ToHexStringLower(SHA256.HashData(body));
            toSign.Add(new("x-amz-content-sha256", payloadHash));
            toSign.Add(new("x-amz-date", SigV4Signer.FormatAmzDate(now)));
            if (_config.Token is { } token)
            {
                toSign.Add(new("x-amz-security-token", token));
            }

            AddHeaders(request, toSign);
            request.Headers.TryAddWithoutValidation("Authorization",
                SigV4Signer.Sign(_config.SecretId, _config.SecretKey, _config.Region, service, method.Method, target, toSign, payloadHash));
        }
        else
        {
            if (_config.Token is { } token)
            {
                toSign.Add(new("x-cos-security-token", token));
            }

            AddHeaders(request, toSign);
            request.Headers.TryAddWithoutValidation("Authorization",
                CosV5Signer.Sign(_config.SecretId, _config.SecretKey, method.Method, Uri.UnescapeDataString(rawPath), query, toSign, now, now + _config.SignatureExpiration));
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new CosClientException(CosClientErrorKind.Network, $"{_base.GetLeftPart(UriPartial.Authority)} could not be reached: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new CosClientException(CosClientErrorKind.Timeout, $"{_base.GetLeftPart(UriPartial.Authority)} did not answer in time.", e);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return text;
            }

            throw ErrorOf(response, text);
        }
    }

    private static void AddHeaders(HttpRequestMessage request, IEnumerable<KeyValuePair<string, string>> headers)
    {
        foreach (var (name, value) in headers)
        {
            if (name is not ("host" or "content-length" or "content-type"))
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }
    }

    private static JsonObject ParseObject(string text, string what)
    {
        try
        {
            return string.IsNullOrWhiteSpace(text) ? [] : JsonNode.Parse(text) as JsonObject ?? [];
        }
        catch (JsonException e)
        {
            throw new CosClientException(CosClientErrorKind.InvalidResponse, $"{what} is not JSON: {e.Message}", e);
        }
    }

    /// <summary>The error of a non-2xx answer: the admin API's JSON (code), the KMS API's (__type), or the XML &lt;Error&gt;.</summary>
    private static CofferException ErrorOf(HttpResponseMessage response, string text)
    {
        var status = (int)response.StatusCode;
        var requestId = response.Headers.TryGetValues("x-cos-request-id", out var ids) || response.Headers.TryGetValues("x-amz-request-id", out ids)
            ? ids.FirstOrDefault()
            : null;
        if (text.TrimStart().StartsWith('{'))
        {
            try
            {
                var json = JsonNode.Parse(text);
                var message = json?["message"]?.GetValue<string>() ?? json?["Message"]?.GetValue<string>() ?? "";
                if (json?["code"]?.GetValue<string>() is { } code)
                {
                    return new CofferException(code, message, status, json["requestId"]?.GetValue<string>() ?? requestId);
                }

                if (json?["__type"]?.GetValue<string>() is { } type)
                {
                    return new CofferException(type[(type.LastIndexOf('#') + 1)..], message, status, requestId);
                }
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                // Not a known error shape: fall through to the status.
            }
        }

        if (text.Contains("<Error", StringComparison.Ordinal))
        {
            try
            {
                var root = XDocument.Parse(text).Root!;
                if (Child(root, "Code") is { } code)
                {
                    return new CofferException(code, Child(root, "Message") ?? "", status, Child(root, "RequestId") ?? requestId, Child(root, "Resource"));
                }
            }
            catch (System.Xml.XmlException)
            {
                // Fall through to the status.
            }
        }

        var synthetic = status switch
        {
            403 => ErrorCodes.AccessDenied,
            404 => ErrorCodes.NoSuchResource,
            >= 500 => ErrorCodes.InternalError,
            _ => "BadRequest",
        };
        return new CofferException(synthetic, "", status, requestId);
    }

    private static CosClientException Unreadable(string what) =>
        new(CosClientErrorKind.InvalidResponse, $"The admin API's answer lacks {what}.");

    private static string? Child(XElement element, string name) => element.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;

    private static string? Text(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static long Number(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue<long>(out var n) ? n : 0;

    private static bool Flag(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    private static DateTimeOffset? Time(JsonObject o, string name) =>
        Text(o, name) is { } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    private static CofferUser ToUser(JsonObject o) => new(
        Text(o, "name") ?? "", Text(o, "id") ?? "", Text(o, "accessKeyId") ?? "", Flag(o, "root"), Time(o, "created") ?? default);

    private static RekeyJobStatus ToRekey(JsonObject o) => new(
        Text(o, "jobId") ?? throw Unreadable("jobId"), Text(o, "bucket") ?? "", Text(o, "prefix") ?? "", Text(o, "fromKeyId"), Text(o, "toKeyId") ?? "",
        Flag(o, "running"), Flag(o, "finished"), Text(o, "lastKey"),
        Number(o, "rekeyed"), Number(o, "skipped"), Number(o, "conflicts"), Number(o, "failed"),
        Time(o, "started") ?? default, Time(o, "updated") ?? default, Time(o, "completed"), Text(o, "error"));

    private static KmsAuditRecord ToAudit(JsonObject o) => new()
    {
        Time = Time(o, "time") ?? default,
        Source = Text(o, "source") ?? "",
        Principal = Text(o, "principal"),
        AccessKeyId = Text(o, "accessKeyId"),
        RequestId = Text(o, "requestId"),
        Operation = Text(o, "operation") ?? "",
        KeyId = Text(o, "keyId"),
        KeyVersion = o["keyVersion"] is JsonValue kv && kv.TryGetValue<int>(out var version) ? version : null,
        SourceKeyId = Text(o, "sourceKeyId"),
        Bucket = Text(o, "bucket"),
        Object = Text(o, "object"),
        Mode = Text(o, "mode"),
        Cached = o["cached"] is JsonValue c && c.TryGetValue<bool>(out var cached) ? cached : null,
        ContextKeys = o["contextKeys"] is JsonArray keys ? [.. keys.Select(k => k?.GetValue<string>() ?? "")] : null,
        RotationType = Text(o, "rotationType"),
        Outcome = Text(o, "outcome") ?? "",
        Error = Text(o, "error"),
    };
}
