using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Coffer.Crypto;
using Coffer.Crypto.Kms;
using Coffer.Protocol;
using Coffer.Protocol.Auth;
using Coffer.Server.Access;
using Coffer.Server.Admin;
using Coffer.Server.Cors;
using Coffer.Server.Handlers;
using Coffer.Server.Hosting;
using Coffer.Server.Kms;
using Coffer.Server.Routing;
using Coffer.Server.Sse;
using Coffer.Server.Telemetry;
using Coffer.Server.WebConsole;
using Coffer.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Coffer.Server.Pipeline;

/// <summary>
/// The one entry point of every request: request id, addressing, protocol family,
/// authentication, routing, authorization (<see cref="Authorizer"/>), then the operation's handler; every failure
/// becomes the reference XML error in the caller's family.
/// </summary>
public sealed class RequestDispatcher(CofferServices services)
{
    /// <summary>Total request header bytes accepted (S3 allows 8 KB of headers plus 2 KB of metadata; we are more lenient).</summary>
    public const int MaxHeaderBytes = 64 * 1024;

    private readonly Addressing _addressing = new(services.Options.Domain);
    private readonly ILogger _log = services.Log;
    private readonly UploadLimiter _uploads = services.Uploads;
    private readonly MemoryTrimmer _trimmer = new(services.Uploads, services.Log);
    private readonly CofferMetrics _metrics = services.Metrics;
    private readonly ILogger _access = services.AccessLog;

    /// <summary>
    /// Every request: its id is the logging scope of every line written while it runs; when it is answered, one
    /// access-log line and its metrics (docs/observability.md).
    /// </summary>
    public async Task HandleAsync(HttpContext http)
    {
        var start = Stopwatch.GetTimestamp();
        var requestId = NewRequestId();
        using var scope = _log.BeginScope(new RequestScope(requestId));
        using var span = CofferTracing.StartRequest(http.Request);
        var rawTarget = http.Features.Get<IHttpRequestFeature>()?.RawTarget ?? http.Request.Path.Value ?? "/";
        var q = rawTarget.IndexOf('?');
        var rawPath = q < 0 ? rawTarget : rawTarget[..q];
        var rawQuery = q < 0 ? "" : rawTarget[(q + 1)..];
        var host = http.Request.Host.Value ?? "";
        var family = GuessFamily(http.Request, host, rawQuery);
        http.Response.Headers["Server"] = "Coffer";
        SetRequestId(http.Response, family, requestId);
        var hasBody = HasBody(http);
        if (hasBody)
            http.Response.OnStarting(CloseIfRefused, http.Response);

        RequestContext? ctx = null;
        string? serverPath = null; // the unsigned server path answered (health, ready, metrics), else null
        var holdsUploadSlot = false;
        try
        {
            // The web console's files (docs/console.md): unsigned, never signed-for; the page signs its own API calls.
            if (ConsoleAssets.IsConsolePath(rawPath) && !_addressing.Resolve(host, rawPath).VirtualHosted)
            {
                serverPath = "Console";
                await ConsoleAssets.WriteAsync(http, rawPath);
                return;
            }
            if (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method))
            {
                // Unsigned server paths: what a load balancer or an anonymous scraper polls.
                switch (rawPath)
                {
                    case ServerPaths.Health:
                        serverPath = "Health";
                        await ServerPaths.WriteHealthAsync(http);
                        return;
                    case ServerPaths.Ready:
                        serverPath = "Ready";
                        await ServerPaths.WriteReadyAsync(http, services.Readiness);
                        return;
                    case ServerPaths.Metrics when services.Options.Metrics == MetricsAccess.Anonymous && services.MetricsEndpoint is { } anonymousScrape
                        && !_addressing.Resolve(host, rawPath).VirtualHosted:
                        serverPath = "Metrics";
                        await anonymousScrape(http);
                        return;
                }
            }
            if (!rawPath.StartsWith('/'))
                throw new CofferException(ErrorCode.InvalidURI, "The request target must be an absolute path starting with '/'.");
            CheckHeaderSize(http.Request);

            var target = _addressing.Resolve(host, rawPath);
            // The admin API is a server path, never a bucket (a bucket named "_coffer" is invalid), except on a
            // virtual-hosted bucket's host, where /_coffer/… is an object key like any other.
            var adminCall = !target.VirtualHosted && AdminApi.IsAdminPath(rawPath);
            if (adminCall)
                http.Items[AdminApi.ItemKey] = true;
            var metricsCall = !target.VirtualHosted && rawPath == ServerPaths.Metrics
                && services.Options.Metrics == MetricsAccess.Admin && services.MetricsEndpoint is not null;
            ctx = new RequestContext
            {
                Http = http,
                RequestId = requestId,
                Family = family,
                Target = target,
                Query = RequestQuery.Parse(rawQuery),
                // What the request asks for, known before it is authenticated, so a refused call is counted under its name.
                OperationLabel = adminCall ? "AdminApi" : metricsCall ? "Metrics" : IsKmsCall(http.Request) ? KmsOperationLabel(http.Request) : null,
            };

            if (!adminCall && !metricsCall && HttpMethods.IsOptions(http.Request.Method))
            {
                // A browser's CORS preflight carries no credentials: the bucket's rules alone answer it.
                ctx.Operation = Operation.PreflightCors;
                ctx.OperationLabel = CofferMetrics.OperationLabel(ctx.Operation);
                ctx.CorsChecked = true;
                await CorsHandlers.PreflightAsync(ctx, services);
                return;
            }

            if (!adminCall && !metricsCall && IsPostObject(http.Request, target, ctx.Query) && !CarriesCredentials(http.Request, ctx.Query))
            {
                // A browser form upload: its fields say who sent it (PostAuthentication). One that also carries a
                // header or query signature has it verified first, below, as any request; the form still decides.
                ctx.Operation = Operation.PostObject;
                ctx.OperationLabel = CofferMetrics.OperationLabel(ctx.Operation);
                if (hasBody)
                {
                    if (!_uploads.TryEnter())
                        throw new CofferException(ErrorCode.SlowDown,
                            $"Reduce your request rate: the server is receiving as many request bodies as it takes at once ({_uploads.Max}); retry this request later, with backoff.");
                    holdsUploadSlot = true;
                }
                await PostObjectHandlers.PostObjectAsync(ctx, services);
                return;
            }

            AuthenticatedIdentity? identity;
            using (var authSpan = CofferTracing.Source.StartActivity("coffer.authenticate"))
            {
                identity = await AuthenticateAsync(http.Request, rawTarget, target.VirtualHosted ? target.Bucket : null);
                authSpan?.SetTag("coffer.authenticated", identity is not null);
            }
            if (identity is null)
            {
                // The KMS API, the admin API and the metrics never answer an anonymous caller (FailAsync answers a KMS
                // call in the KMS API's JSON: AccessDeniedException); a bucket or object operation goes on to the
                // Authorizer, which lets it in only where the bucket's policy or ACL grants everyone.
                if (IsKmsCall(http.Request))
                    throw new CofferException(ErrorCode.AccessDenied, "Anonymous requests are refused: sign the request with Signature V4 (service kms).");
                if (adminCall || metricsCall || target.Bucket is null)
                    throw new CofferException(ErrorCode.AccessDenied, Authorizer.AnonymousRefused);
            }
            else
            {
                ctx.Identity = identity;
                ctx.Family = identity.Scheme is SignatureScheme.CosV5Header or SignatureScheme.CosV5Query ? ProtocolFamily.Cos : ProtocolFamily.S3;
                if (ctx.Family != family)
                {
                    http.Response.Headers.Remove(family.Header("request-id"));
                    SetRequestId(http.Response, ctx.Family, requestId);
                }
                ctx.User = services.Credentials.UserOf(identity.AccessKeyId, identity.SecurityToken ?? SessionToken(http.Request))
                    ?? throw new CofferException(ErrorCode.InvalidAccessKeyId);
            }
            if (hasBody)
            {
                // Refused before one byte of the body is read; the connection then closes (CloseIfRefused).
                if (!_uploads.TryEnter())
                    throw new CofferException(ErrorCode.SlowDown,
                        $"Reduce your request rate: the server is receiving as many request bodies as it takes at once ({_uploads.Max}); retry this request later, with backoff.");
                holdsUploadSlot = true;
            }

            if (adminCall)
            {
                await AdminApi.HandleAsync(ctx, rawPath, services);
                return;
            }
            if (metricsCall)
            {
                if (!HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method))
                    throw new CofferException(ErrorCode.MethodNotAllowed, $"{http.Request.Method} is not allowed on {ServerPaths.Metrics}; scrape it with GET.");
                AdminApi.Authorize(ctx, "Access Denied: /_coffer/metrics answers the administrator only (the root user's own access key, signed in the Authorization header); see --metrics.");
                await services.MetricsEndpoint!(http);
                return;
            }
            if (IsKmsCall(http.Request))
            {
                await KmsApi.HandleAsync(ctx, services);
                return;
            }

            ctx.Operation = Router.Resolve(http.Request.Method, target, ctx.Query, ctx.Header);
            ctx.OperationLabel = CofferMetrics.OperationLabel(ctx.Operation);
            // Creating a bucket is for signed users only: an anonymous one would own nothing it could sign for.
            if (ctx.IsAnonymous && ctx.Operation == Operation.CreateBucket)
                throw new CofferException(ErrorCode.AccessDenied, Authorizer.AnonymousRefused);
            if (target.Bucket is not null && ctx.Operation != Operation.CreateBucket)
            {
                BucketRecord? bucket;
                using (CofferTracing.Source.StartActivity("coffer.metadata.get_bucket"))
                    bucket = await services.Store.GetBucketAsync(target.Bucket, ctx.Aborted);
                if (bucket is null)
                {
                    // An anonymous caller learns nothing of which bucket names exist.
                    throw ctx.IsAnonymous
                        ? new CofferException(ErrorCode.AccessDenied, Authorizer.AnonymousRefused)
                        : new CofferException(ErrorCode.NoSuchBucket, $"The bucket '{target.Bucket}' does not exist; create it first.", "/" + target.Bucket);
                }
                // The bucket's CORS headers go on every answer to a browser, refusals included, so a page can read why.
                CorsResponses.Apply(ctx, bucket);
                await Authorizer.AuthorizeAsync(ctx, services, new AccessRequest(bucket, AccessActions.Of(ctx.Operation, target.Key is not null && ctx.Query.Has("versionId")),
                    target.Key, target.Key is null ? null : ctx.Query.Get("versionId")));
                ctx.Bucket = bucket;
            }
            if (target.Key is not null)
                ObjectKeys.Validate(target.Key, ctx.Family);

            await Dispatch(ctx);
        }
        catch (CofferException e)
        {
            await FailAsync(http, ctx, family, requestId, e);
        }
        catch (AdminApiException e)
        {
            await FailAsync(http, ctx, family, requestId, new CofferException(ErrorCode.InvalidRequest, e.Message), e);
        }
        catch (KmsException e)
        {
            await FailAsync(http, ctx, family, requestId, KmsErrors.ToCoffer(e));
        }
        catch (SealedStreamException e)
        {
            _log.LogError("Stored data of object {Resource} failed its integrity check ({Reason}); request {RequestId} refused.",
                ctx?.Resource ?? rawPath, e.Message, requestId);
            await FailAsync(http, ctx, family, requestId, new CofferException(ErrorCode.InternalError,
                "The stored data of this object failed its integrity check; it was not returned."));
        }
        catch (BlobStoreUnavailableException e)
        {
            // Before the headers: 503, and the client retries. After them: FailAsync cuts the
            // connection, so a short body never passes for a whole object.
            _log.LogError("Request {RequestId} {Method} {Resource}: the blob store is unavailable ({Reason}).", requestId, http.Request.Method, ctx?.Resource ?? rawPath, e.Message);
            await FailAsync(http, ctx, family, requestId, new CofferException(ErrorCode.ServiceUnavailable,
                "The storage backend is unavailable at the moment; the request was not carried out. Retry it later, with backoff."));
        }
        catch (BadHttpRequestException e)
        {
            var error = e.StatusCode == StatusCodes.Status408RequestTimeout
                ? new CofferException(ErrorCode.RequestTimeout)
                : new CofferException(ErrorCode.IncompleteBody, "The request body ended before the length the request declared; send exactly Content-Length bytes.");
            await FailAsync(http, ctx, family, requestId, error);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (Exception e) when (StorageFaults.Classify(e) is { } fault)
        {
            // The storage's fault, not a bug: a clear 503 the client retries, no stack trace; nothing was committed.
            _log.LogWarning("Request {RequestId} {Method} {Resource}: storage fault {Fault} ({Reason}); answered 503.",
                requestId, http.Request.Method, ctx?.Resource ?? rawPath, fault, e.Message);
            await FailAsync(http, ctx, family, requestId, fault switch
            {
                StorageFault.Full => new CofferException(ErrorCode.SlowDown,
                    "The server's storage is full: nothing was written. Retry later, once space has been freed; reads keep working."),
                StorageFault.ReadOnly => new CofferException(ErrorCode.ServiceUnavailable,
                    "The server's storage is read-only at the moment: nothing was written. Retry later; reads keep working."),
                StorageFault.Unavailable => new CofferException(ErrorCode.ServiceUnavailable,
                    "The server's metadata database cannot be reached at the moment: the request was not carried out. Retry later, with backoff."),
                _ => new CofferException(ErrorCode.ServiceUnavailable,
                    "The server's storage failed an I/O operation: nothing was committed. Retry the request later, with backoff."),
            });
        }
        catch (Exception e)
        {
            _log.LogError(e, "Request {RequestId} {Method} {Resource} failed unexpectedly.", requestId, http.Request.Method, ctx?.Resource ?? rawPath);
            await FailAsync(http, ctx, family, requestId, new CofferException(ErrorCode.InternalError));
        }
        finally
        {
            if (holdsUploadSlot && _uploads.Exit() is var peak and > 0)
                _trimmer.AfterBurst(peak);
            Record(http, requestId, ctx, serverPath, family, start);
            if (span is not null)
            {
                span.DisplayName = serverPath ?? ctx?.OperationLabel ?? CofferMetrics.Unrouted;
                span.SetTag("coffer.operation", span.DisplayName);
                span.SetTag("coffer.request_id", requestId);
                span.SetTag("http.request.method", http.Request.Method);
                span.SetTag("http.response.status_code", http.Response.StatusCode);
                if (http.Response.StatusCode >= 500)
                    span.SetStatus(ActivityStatusCode.Error);
            }
        }
    }

    private void Record(HttpContext http, string requestId, RequestContext? ctx, string? serverPath, ProtocolFamily guessed, long start)
    {
        var operation = serverPath ?? ctx?.OperationLabel ?? CofferMetrics.Unrouted;
        var family = serverPath is not null ? "none" : (ctx?.Family ?? guessed) == ProtocolFamily.Cos ? "cos" : "s3";
        var status = http.Response.StatusCode;
        var received = http.Request.ContentLength ?? 0;
        var sent = HttpMethods.IsHead(http.Request.Method) ? 0 : http.Response.ContentLength ?? 0;
        _metrics.RecordRequest(operation, family, status, received, sent, start, ctx?.Sse);
        if (_access.IsEnabled(LogLevel.Information))
        {
            AccessLog.Request(_access, http.Request.Method, operation, family,
                AccessLog.Printable(ctx?.Target.Bucket), AccessLog.Printable(ctx?.Target.Key), AccessLog.Printable(ctx?.User?.Name),
                status, received, sent, Math.Round(Stopwatch.GetElapsedTime(start).TotalMilliseconds, 3), CofferMetrics.ModeLabel(ctx?.Sse), requestId);
        }
    }

    private Task Dispatch(RequestContext ctx) => ctx.Operation switch
    {
        Operation.ListBuckets => BucketHandlers.ListBucketsAsync(ctx, services),
        Operation.CreateBucket => BucketHandlers.CreateBucketAsync(ctx, services),
        Operation.HeadBucket => BucketHandlers.HeadBucketAsync(ctx, services),
        Operation.DeleteBucket => BucketHandlers.DeleteBucketAsync(ctx, services),
        Operation.GetBucketLocation => BucketHandlers.GetBucketLocationAsync(ctx, services),
        Operation.GetBucketVersioning => VersioningHandlers.GetBucketVersioningAsync(ctx, services),
        Operation.PutBucketVersioning => VersioningHandlers.PutBucketVersioningAsync(ctx, services),
        Operation.ListObjects => ListHandlers.ListObjectsAsync(ctx, services),
        Operation.ListObjectsV2 => ListHandlers.ListObjectsV2Async(ctx, services),
        Operation.ListObjectVersions => ListHandlers.ListObjectVersionsAsync(ctx, services),
        Operation.PutBucketEncryption => EncryptionHandlers.PutBucketEncryptionAsync(ctx, services),
        Operation.GetBucketEncryption => EncryptionHandlers.GetBucketEncryptionAsync(ctx, services),
        Operation.DeleteBucketEncryption => EncryptionHandlers.DeleteBucketEncryptionAsync(ctx, services),
        Operation.PutBucketTagging => TaggingHandlers.PutBucketTaggingAsync(ctx, services),
        Operation.GetBucketTagging => TaggingHandlers.GetBucketTaggingAsync(ctx, services),
        Operation.DeleteBucketTagging => TaggingHandlers.DeleteBucketTaggingAsync(ctx, services),
        Operation.PutBucketLifecycle => LifecycleHandlers.PutBucketLifecycleAsync(ctx, services),
        Operation.GetBucketLifecycle => LifecycleHandlers.GetBucketLifecycleAsync(ctx, services),
        Operation.DeleteBucketLifecycle => LifecycleHandlers.DeleteBucketLifecycleAsync(ctx, services),
        Operation.PutBucketPolicy => PolicyHandlers.PutBucketPolicyAsync(ctx, services),
        Operation.GetBucketPolicy => PolicyHandlers.GetBucketPolicyAsync(ctx, services),
        Operation.DeleteBucketPolicy => PolicyHandlers.DeleteBucketPolicyAsync(ctx, services),
        Operation.GetBucketPolicyStatus => PolicyHandlers.GetBucketPolicyStatusAsync(ctx, services),
        Operation.PutBucketCors => CorsHandlers.PutBucketCorsAsync(ctx, services),
        Operation.GetBucketCors => CorsHandlers.GetBucketCorsAsync(ctx, services),
        Operation.DeleteBucketCors => CorsHandlers.DeleteBucketCorsAsync(ctx, services),
        // A preflight is answered before authentication (HandleAsync); so is a form POST that carries no signature of its own.
        Operation.PreflightCors => CorsHandlers.PreflightAsync(ctx, services),
        Operation.PostObject => PostObjectHandlers.PostObjectAsync(ctx, services),
        Operation.DeleteObjects => DeleteHandlers.DeleteObjectsAsync(ctx, services),
        Operation.PutObject => ObjectHandlers.PutObjectAsync(ctx, services),
        Operation.CopyObject => CopyHandlers.CopyObjectAsync(ctx, services),
        Operation.GetObject => ObjectHandlers.GetObjectAsync(ctx, services, head: false),
        Operation.HeadObject => ObjectHandlers.GetObjectAsync(ctx, services, head: true),
        Operation.GetObjectAttributes => AttributesHandlers.GetObjectAttributesAsync(ctx, services),
        Operation.DeleteObject => DeleteHandlers.DeleteObjectAsync(ctx, services),
        Operation.RestoreObject => RestoreHandlers.RestoreObjectAsync(ctx, services),
        Operation.PutObjectTagging => TaggingHandlers.PutObjectTaggingAsync(ctx, services),
        Operation.GetObjectTagging => TaggingHandlers.GetObjectTaggingAsync(ctx, services),
        Operation.DeleteObjectTagging => TaggingHandlers.DeleteObjectTaggingAsync(ctx, services),
        Operation.CreateMultipartUpload => MultipartHandlers.CreateMultipartUploadAsync(ctx, services),
        Operation.UploadPart => MultipartHandlers.UploadPartAsync(ctx, services),
        Operation.UploadPartCopy => MultipartHandlers.UploadPartCopyAsync(ctx, services),
        Operation.CompleteMultipartUpload => MultipartHandlers.CompleteMultipartUploadAsync(ctx, services),
        Operation.AbortMultipartUpload => MultipartHandlers.AbortMultipartUploadAsync(ctx, services),
        Operation.ListParts => MultipartHandlers.ListPartsAsync(ctx, services),
        Operation.ListMultipartUploads => MultipartHandlers.ListMultipartUploadsAsync(ctx, services),
        Operation.GetBucketAcl => AclHandlers.GetBucketAclAsync(ctx, services),
        Operation.PutBucketAcl => AclHandlers.PutBucketAclAsync(ctx, services),
        Operation.GetObjectAcl => AclHandlers.GetObjectAclAsync(ctx, services),
        Operation.PutObjectAcl => AclHandlers.PutObjectAclAsync(ctx, services),
        Operation.GetBucketOwnershipControls => AclHandlers.GetBucketOwnershipControlsAsync(ctx, services),
        Operation.PutBucketOwnershipControls => AclHandlers.PutBucketOwnershipControlsAsync(ctx, services),
        Operation.DeleteBucketOwnershipControls => AclHandlers.DeleteBucketOwnershipControlsAsync(ctx, services),
        Operation.GetPublicAccessBlock => AclHandlers.GetPublicAccessBlockAsync(ctx, services),
        Operation.PutPublicAccessBlock => AclHandlers.PutPublicAccessBlockAsync(ctx, services),
        Operation.DeletePublicAccessBlock => AclHandlers.DeletePublicAccessBlockAsync(ctx, services),
        _ => throw new CofferException(ErrorCode.NotImplemented, $"{ctx.Operation} is not implemented by this server yet."),
    };

    private async Task<AuthenticatedIdentity?> AuthenticateAsync(HttpRequest request, string rawTarget, string? virtualHostBucket)
    {
        // AWS clients of JSON services (awscli's KMS) sign the body's SHA-256 without sending
        // x-amz-content-sha256: hash the small body first so the signature can be checked.
        string? bodySha256 = null;
        if (IsKmsCall(request) && !request.Headers.ContainsKey("x-amz-content-sha256"))
            bodySha256 = await BufferAndHashAsync(request);

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        List<string>? repeated = null;
        foreach (var (name, values) in request.Headers)
        {
            headers[name] = values.Count == 1 ? values[0] ?? "" : string.Join(",", values.ToArray());
            if (values.Count > 1)
                (repeated ??= []).Add(name);
        }
        var signable = new SignableRequest
        {
            Method = request.Method,
            RawTarget = rawTarget,
            VirtualHostBucket = virtualHostBucket,
            Headers = headers,
            RepeatedHeaders = repeated ?? [],
            IsHttps = request.IsHttps,
            BodySha256 = bodySha256,
        };
        var token = SessionToken(request);
        // A temporary access key whose token is missing or does not open says so, rather than "no such key".
        var identity = RequestAuthenticator.Authenticate(signable, accessKeyId => services.Credentials.SecretOf(accessKeyId, token)
            ?? (TemporaryCredentials.IsTemporary(accessKeyId) ? throw TokenRefused() : null), services.Time.GetUtcNow());
        if (identity is not null && TemporaryCredentials.IsTemporary(identity.AccessKeyId))
        {
            // The signature was made with the temporary secret the token carries; the token must
            // also be one the request itself sent, and still valid.
            var claims = TemporaryCredentials.Open(services.RootKey, identity.SecurityToken ?? token)
                ?? throw new CofferException(ErrorCode.InvalidAccessKeyId, "Temporary credentials need their session token in x-cos-security-token (S3: x-amz-security-token).");
            if (claims.Expires <= services.Time.GetUtcNow())
                throw new CofferException(ErrorCode.ExpiredToken, "The session token has expired; request new temporary credentials.");
        }
        return identity;
    }

    private static async Task<string> BufferAndHashAsync(HttpRequest request)
    {
        const int limit = 256 * 1024;
        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int n;
        while ((n = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            if (buffer.Length + n > limit)
                throw new CofferException(ErrorCode.InvalidRequest, $"A KMS request body may be at most {limit} bytes.");
            buffer.Write(chunk, 0, n);
        }
        buffer.Position = 0;
        request.Body = buffer;
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)));
    }

    private static CofferException TokenRefused() => new(ErrorCode.InvalidAccessKeyId,
        "The session token is missing, malformed, or not the one issued with this temporary access key id, or its user no longer exists "
        + "(x-cos-security-token / x-amz-security-token); send the token issued with the key pair, or request new temporary credentials.");

    private static string? SessionToken(HttpRequest request)
    {
        foreach (var name in new[] { "x-cos-security-token", "x-amz-security-token" })
            if (request.Headers[name].ToString() is { Length: > 0 } header)
                return header;
        foreach (var (name, value) in request.Query)
            if (name.Equals("x-cos-security-token", StringComparison.OrdinalIgnoreCase) || name.Equals("X-Amz-Security-Token", StringComparison.OrdinalIgnoreCase))
                return value.ToString();
        return null;
    }

    private static readonly string[] KmsCalls =
    [
        "CreateKey", "DescribeKey", "ListKeys", "CreateAlias", "ListAliases", "EnableKey", "DisableKey", "ScheduleKeyDeletion",
        "CancelKeyDeletion", "EnableKeyRotation", "DisableKeyRotation", "GetKeyRotationStatus", "RotateKeyOnDemand", "ListKeyRotations",
        "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "Encrypt", "Decrypt", "ReEncrypt",
    ];

    // Labels from a fixed set (the target header is the caller's: it must not mint new label values), looked up without allocating.
    private static readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> KmsLabels =
        KmsCalls.ToDictionary(c => c, c => "kms:" + c, StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();

    private static string KmsOperationLabel(HttpRequest request)
    {
        var target = request.Headers["X-Amz-Target"].ToString().AsSpan();
        var dot = target.IndexOf('.');
        return dot >= 0 && KmsLabels.TryGetValue(target[(dot + 1)..], out var label) ? label : "kms:Unknown";
    }

    private static bool IsKmsCall(HttpRequest request) =>
        HttpMethods.IsPost(request.Method)
        && request.Headers["X-Amz-Target"].ToString().StartsWith("TrentService.", StringComparison.Ordinal);

    private async Task FailAsync(HttpContext http, RequestContext? ctx, ProtocolFamily guessed, string requestId, CofferException error, AdminApiException? adminError = null)
    {
        var family = ctx?.Family ?? guessed;
        if (http.Response.HasStarted)
        {
            // Headers (and maybe part of the body) are out: the only honest signal left is to
            // cut the connection, so the client sees a short response, never wrong bytes.
            _log.LogWarning("Request {RequestId} failed after the response started ({Code}); connection aborted.", requestId, error.Error.Code);
            http.Abort();
            return;
        }
        if (error.Error.Status >= 500)
            _log.LogWarning("Request {RequestId} answered {Code}: {Message}", requestId, error.Error.Code, error.Message);
        http.Response.Clear();
        http.Response.Headers["Server"] = "Coffer";
        SetRequestId(http.Response, family, requestId);
        if (http.Items.ContainsKey(AdminApi.ItemKey))
        {
            // The admin API speaks JSON only, its own errors and the pipeline's (signature, access) alike.
            await AdminApi.WriteErrorAsync(http, adminError?.Status ?? error.Error.Status, adminError?.Code ?? error.Error.Code, error.Message, requestId);
            return;
        }
        if (IsKmsCall(http.Request))
        {
            // A KMS client reads JSON errors only: an authentication failure (bad or expired
            // signature, unknown key) must reach it as the KMS API's own error type.
            await KmsApi.WriteErrorAsync(http, KmsErrorType.For(error.Error), error.Message);
            return;
        }
        if (ctx is not null)
            await CorsResponses.ApplyToErrorAsync(ctx, services);
        await ErrorWriter.WriteAsync(http, family, requestId, error, ctx?.Resource ?? "/");
    }

    /// <summary>A POST of a form to a bucket, without a sub-resource: POST Object, whatever else the request carries.</summary>
    private static bool IsPostObject(HttpRequest request, Target target, RequestQuery query)
    {
        if (!HttpMethods.IsPost(request.Method) || target.Bucket is null || target.Key is not null || !Router.IsForm(request.ContentType))
            return false;
        try
        {
            return Router.Resolve(request.Method, target, query, name => request.Headers[name].ToString()) == Operation.PostObject;
        }
        catch (CofferException)
        {
            return false; // refused again, with the same error, once the request is authenticated
        }
    }

    /// <summary>Whether the request carries a signature of its own (Authorization header, or a presigned query).</summary>
    private static bool CarriesCredentials(HttpRequest request, RequestQuery query) =>
        request.Headers.Authorization.Count > 0
        || query.Pairs.Any(p => p.Key is "q-sign-algorithm" or "q-signature" or "X-Amz-Signature" or "X-Amz-Credential" or "Signature" or "AWSAccessKeyId");

    /// <summary>Whether the request carries a body (a non-zero Content-Length, or chunked).</summary>
    private static bool HasBody(HttpContext http) =>
        http.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? http.Request.ContentLength > 0;

    /// <summary>
    /// An error answered to a request with a body is answered before (or without) reading all of
    /// that body: its unread bytes must never be parsed as the next request on the connection (a
    /// client that sent them after <c>Expect: 100-continue</c> was refused, or a body crafted to
    /// look like a request). <c>Connection: close</c> makes Kestrel end the connection after this
    /// response instead of keeping it alive; whatever else the client sends is discarded.
    /// </summary>
    private static readonly Func<object, Task> CloseIfRefused = state =>
    {
        var response = (HttpResponse)state;
        if (response.StatusCode >= 400)
            response.Headers.Connection = "close";
        return Task.CompletedTask;
    };

    private static void CheckHeaderSize(HttpRequest request)
    {
        long total = 0;
        foreach (var (name, values) in request.Headers)
            foreach (var v in values)
                total += name.Length + (v?.Length ?? 0) + 4;
        if (total > MaxHeaderBytes)
            throw new CofferException(ErrorCode.RequestHeaderSectionTooLarge, $"The request headers total {total} bytes; at most {MaxHeaderBytes} are accepted.");
    }

    private static ProtocolFamily GuessFamily(HttpRequest request, string host, string rawQuery)
    {
        var auth = request.Headers.Authorization.ToString();
        if (auth.StartsWith("q-sign-algorithm", StringComparison.Ordinal) || rawQuery.Contains("q-sign-algorithm", StringComparison.Ordinal))
            return ProtocolFamily.Cos;
        if (auth.StartsWith("AWS", StringComparison.Ordinal) || rawQuery.Contains("X-Amz-Algorithm", StringComparison.Ordinal))
            return ProtocolFamily.S3;
        foreach (var name in request.Headers.Keys)
        {
            if (name.StartsWith("x-cos-", StringComparison.OrdinalIgnoreCase)) return ProtocolFamily.Cos;
            if (name.StartsWith("x-amz-", StringComparison.OrdinalIgnoreCase)) return ProtocolFamily.S3;
        }
        return host.Contains(".myqcloud.com", StringComparison.OrdinalIgnoreCase) || host.Contains(".tencentcos.cn", StringComparison.OrdinalIgnoreCase)
            ? ProtocolFamily.Cos : ProtocolFamily.S3;
    }

    /// <summary>
    /// Moves a request to the family its credentials turned out to be of (a POST form's fields decide it after the
    /// dispatcher guessed): the request id header follows, in that family's spelling.
    /// </summary>
    internal static void SwitchFamily(RequestContext ctx, ProtocolFamily family)
    {
        if (ctx.Family == family)
            return;
        ctx.Response.Headers.Remove(ctx.Family.Header("request-id"));
        ctx.Response.Headers.Remove("x-amz-id-2");
        ctx.Family = family;
        SetRequestId(ctx.Response, family, ctx.RequestId);
    }

    private static void SetRequestId(HttpResponse response, ProtocolFamily family, string requestId)
    {
        response.Headers[family.Header("request-id")] = requestId;
        if (family == ProtocolFamily.S3)
            response.Headers["x-amz-id-2"] = requestId;
    }

    private static string NewRequestId()
    {
        Span<byte> bytes = stackalloc byte[18];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_');
    }
}

/// <summary>Object key rules: length, characters, dot segments.</summary>
public static class ObjectKeys
{
    public const int MaxCosKeyBytes = 850;
    public const int MaxS3KeyBytes = 1024;

    public static void Validate(string key, ProtocolFamily family)
    {
        var max = family == ProtocolFamily.Cos ? MaxCosKeyBytes : MaxS3KeyBytes;
        var bytes = Encoding.UTF8.GetByteCount(key);
        if (bytes > max)
            throw new CofferException(ErrorCode.KeyTooLong, $"The object key is {bytes} bytes long; at most {max} bytes are allowed.");
        foreach (var c in key)
            if (c < 0x20 || c == 0x7F)
                throw new CofferException(ErrorCode.InvalidObjectName, $"The object key contains the control character U+{(int)c:X4}; keys may not contain control characters.");
        foreach (var segment in key.Split('/'))
            if (segment == "..")
                throw new CofferException(ErrorCode.InvalidObjectName, "The object key contains a '..' segment; such keys are refused because tools would resolve them to another path.");
    }
}
