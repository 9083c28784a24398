using System.Net;
using System.Security.Cryptography.X509Certificates;
using Coffer.Crypto.Kms;
using Coffer.Server.Audit;
using Coffer.Server.Hosting;
using Coffer.Server.Pipeline;
using Coffer.Server.Telemetry;
using Coffer.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Coffer.Server;

/// <summary>
/// A running Coffer server: opens the data folder (clearing what a crash left), makes sure
/// root credentials and the certificate exist, and serves COS, S3 and KMS requests on
/// Kestrel. Used by `coffer serve` and, in-process, by the end-to-end tests.
/// </summary>
public sealed class CofferServer : IAsyncDisposable
{
    private static readonly System.Text.UTF8Encoding LenientUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    private readonly WebApplication _app;
    private readonly CofferServices _services;
    private readonly KmsMaintenance _kmsMaintenance;
    private readonly LeasedJob _orphanSweep;
    private readonly LifecycleJob _lifecycle;
    private readonly ScheduledScrub? _scrub;

    private CofferServer(WebApplication app, CofferServices services, KmsMaintenance kmsMaintenance, LeasedJob orphanSweep, LifecycleJob lifecycle, ScheduledScrub? scrub)
    {
        _app = app;
        _services = services;
        _kmsMaintenance = kmsMaintenance;
        _orphanSweep = orphanSweep;
        _lifecycle = lifecycle;
        _scrub = scrub;
    }

    public CofferServices Services => _services;
    /// <summary>The KMS job (key destruction, automatic rotation); tests may run it at will.</summary>
    public KmsMaintenance KmsMaintenance => _kmsMaintenance;
    /// <summary>
    /// The orphan sweep (a leased job, <see cref="OrphanSweeper.SweepAsync"/>): its first pass starts once the server
    /// serves, then every <see cref="OrphanSweepIntervalFor"/>; tests may run it at will.
    /// </summary>
    public LeasedJob OrphanSweep => _orphanSweep;
    /// <summary>The lifecycle job (a leased job running the buckets' lifecycle rules); tests may run it at will.</summary>
    public LifecycleJob Lifecycle => _lifecycle;
    /// <summary>The scheduled keyless scrub (<see cref="CofferServerOptions.ScrubInterval"/>); null when off.</summary>
    public ScheduledScrub? Scrub => _scrub;
    /// <summary>This node's id as the holder of background-job leases.</summary>
    public string NodeId { get; private init; } = "";
    public Uri? HttpUrl { get; private set; }
    public Uri? HttpsUrl { get; private set; }
    public X509Certificate2? Certificate { get; private set; }
    public string? CertificatePath { get; private set; }
    public string RootAccessKeyId { get; private set; } = "";
    /// <summary>The root secret when this start generated it (shown once), else null.</summary>
    public string? GeneratedRootSecret { get; private set; }
    /// <summary>The temporary files (blobs a crash left half-written) this start deleted before serving; the embedded backend only.</summary>
    public int TemporaryFilesSwept { get; private set; }
    /// <summary>The background walk that makes every entry of the data folder owner-only (started once the server serves).</summary>
    public Task DataFolderRestricted { get; private init; } = Task.CompletedTask;

    public static async Task<CofferServer> StartAsync(CofferServerOptions options, CancellationToken ct = default)
    {
        if (options.MaxConcurrentUploads < 1)
            throw new ArgumentException($"--max-concurrent-uploads must be at least 1; got {options.MaxConcurrentUploads}.");
        if (options.MaxConnections < 1)
            throw new ArgumentException($"--max-connections must be at least 1; got {options.MaxConnections}.");
        if (options.RequestHeadersTimeout <= TimeSpan.Zero)
            throw new ArgumentException($"--header-timeout must be more than 0 seconds; got {options.RequestHeadersTimeout.TotalSeconds} s.");
        if (options.ScrubInterval is { } scrubInterval && scrubInterval <= TimeSpan.Zero)
            throw new ArgumentException($"--scrub-interval must be positive; got {scrubInterval}.");
        if (options.ScrubBytesPerSecond <= 0)
            throw new ArgumentException($"--scrub-rate must be positive; got {options.ScrubBytesPerSecond} bytes/s.");
        if (options.InlineMaxBytes is < 0 or > CofferServerOptions.MaxInlineMaxBytes)
            throw new ArgumentException($"--inline-max must be between 0 and {CofferServerOptions.MaxInlineMaxBytes} bytes; got {options.InlineMaxBytes}.");
        var otlp = options.OtlpEndpoint is null ? null : ParseOtlpEndpoint(options.OtlpEndpoint);
        var folder = new DataFolder(options.DataDirectory);
        // The folder itself first (cheap, and closing it closes everything in it); the walk of every entry, which reads
        // every blob, runs in the background once the server serves.
        var tightened = folder.RestrictTop();
        var rootKey = folder.LoadOrCreateRootKey();
        IMetadataBackend store;
        try
        {
            store = await Backends.OpenMetadataAsync(options.Metadata, folder, ct);
        }
        catch
        {
            rootKey.Dispose();
            throw;
        }
        IBlobStore blobs;
        try
        {
            // A wrong key is refused now, with what to do, not found out by every request later.
            await Credentials.VerifyRootKeyAsync(store, rootKey, folder.RootKeySource, Backends.DescribeMetadata(options.Metadata, folder), ct);
            blobs = await Backends.OpenBlobsAsync(options.Blobs, folder, options.BlobsAccessKey, options.BlobsSecretKey, ct);
        }
        catch
        {
            await store.DisposeAsync();
            rootKey.Dispose();
            throw;
        }
        if (options.WrapBlobs is { } wrap)
            blobs = wrap(blobs);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(options.LogLevel);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        // A request's lines carry Coffer's request id (its logging scope), not ASP.NET Core's trace ids and request
        // path scope, whose "RequestId" is another id altogether; its request start/finish lines are Information anyway.
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.None);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        // A failed start (port in use, bad certificate) is reported once, by `coffer serve`, not as a stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        if (options.ConsoleLog)
        {
            if (options.LogFormat == LogFormat.Json)
                builder.Logging.AddJsonConsole(o => { o.IncludeScopes = true; o.UseUtcTimestamp = true; o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'"; });
            else
                builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; o.IncludeScopes = true; });
        }
        if (options.LoggerProvider is not null)
            builder.Logging.AddProvider(options.LoggerProvider);
        if (!options.AccessLog)
            builder.Logging.AddFilter(AccessLog.Category, LogLevel.None);

        var nodeId = LeasedJob.NewNodeId();
        var metrics = new CofferMetrics();
        var telemetry = options.Metrics != MetricsAccess.Off || otlp is not null
            ? builder.Services.AddOpenTelemetry().ConfigureResource(r => r.AddService("coffer", serviceInstanceId: nodeId))
            : null;
        if (otlp is not null)
        {
            // Spans of requests, authentication, KMS, metadata and blob calls (Telemetry/CofferTracing), sent over OTLP:
            // HTTP/protobuf when the URL names the traces path, else gRPC.
            telemetry!.WithTracing(t => t
                .AddSource(CofferTracing.SourceName)
                .AddOtlpExporter(o =>
                {
                    o.Endpoint = otlp;
                    o.Protocol = otlp.AbsolutePath.EndsWith("/v1/traces", StringComparison.Ordinal) ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
                }));
        }
        if (options.Metrics != MetricsAccess.Off)
        {
            telemetry!
                .WithMetrics(m => m
                    .AddMeter(CofferMetrics.MeterName)
                    // Every server in the process has a meter of that name: export this one's only.
                    .AddView(i => i.Meter.Name == CofferMetrics.MeterName && !metrics.Owns(i) ? MetricStreamConfiguration.Drop : null)
                    .AddRuntimeInstrumentation()
                    // No response cache: a scrape always sees every request answered before it.
                    .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        }

        // Only what is cheap happens before serving: the only node of a data folder clears the temporary files and
        // hands the blobs of writes that died with the previous process to the reclaimer. The sweep of blobs nothing
        // names reads the whole blob store, so it runs in the background once the server serves (the orphan-sweep job).
        var alone = Backends.IsSingleNode(options.Metadata, folder);
        var temporaryFilesSwept = alone
            ? await OrphanSweeper.PrepareAloneAsync(store, blobs, TimeProvider.System, ct)
            : 0;
        var (accessKeyId, newSecret) = await Credentials.EnsureRootAsync(store, rootKey,
            options.RootAccessKey ?? Environment.GetEnvironmentVariable("COFFER_ACCESS_KEY"),
            options.RootSecretKey ?? Environment.GetEnvironmentVariable("COFFER_SECRET_KEY"), ct);

        X509Certificate2? certificate = null;
        string? certificatePath = null;
        if (options.HttpsEndpoint is not null)
            (certificate, certificatePath, _) = Certificates.LoadOrCreate(folder, options.CertificatePemPath, options.CertificateKeyPemPath, options.Domain);

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Limits.MaxRequestHeadersTotalSize = 1024 * 1024;
            kestrel.Limits.MaxRequestLineSize = 64 * 1024;
            kestrel.Limits.MaxRequestBufferSize = 4 * 1024 * 1024;
            // Kestrel decodes header values as UTF-8 and drops a request whose bytes are not UTF-8
            // with a bare 400. For user metadata, bytes that are not UTF-8 become U+FFFD instead,
            // which the object handlers refuse with 400 InvalidArgument naming the header.
            kestrel.RequestHeaderEncodingSelector = name =>
                name.StartsWith("x-cos-meta-", StringComparison.OrdinalIgnoreCase) || name.StartsWith("x-amz-meta-", StringComparison.OrdinalIgnoreCase)
                    ? LenientUtf8 : null;
            kestrel.Limits.MaxConcurrentConnections = options.MaxConnections;
            // A request whose headers trickle in (slow-loris) is closed after this; an idle keep-alive connection after
            // Kestrel's KeepAliveTimeout (130 s), a reader slower than MinResponseDataRate (240 B/s after 5 s) is cut.
            kestrel.Limits.RequestHeadersTimeout = options.RequestHeadersTimeout;
            // A body that trickles in slower than this (after a grace period) is cut: its upload
            // slot (MaxConcurrentUploads) and buffers go back instead of being held for hours.
            kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(MinUploadBytesPerSecond, MinUploadGracePeriod);
            if (options.HttpEndpoint is not null)
                kestrel.Listen(ParseEndpoint(options.HttpEndpoint, "--http"), o => o.Protocols = HttpProtocols.Http1);
            if (options.HttpsEndpoint is not null)
                kestrel.Listen(ParseEndpoint(options.HttpsEndpoint, "--https"), o =>
                {
                    o.Protocols = HttpProtocols.Http1;
                    o.UseHttps(certificate!);
                });
        });

        var app = builder.Build();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Coffer");
        RequestDelegate? scrape = null;
        if (options.Metrics != MetricsAccess.Off)
        {
            // The exporter's middleware, as a delegate the dispatcher calls once it has authorized the scrape.
            var branch = ((IApplicationBuilder)app).New();
            branch.UseOpenTelemetryPrometheusScrapingEndpoint(meterProvider: null!, predicate: _ => true, path: null!, configureBranchedPipeline: null!, optionsName: null!);
            scrape = branch.Build();
        }
        if (otlp is not null)
            _ = app.Services.GetRequiredService<TracerProvider>();   // listening from the first request on
        var meteredBlobs = new MeteredBlobStore(blobs, metrics);
        store.CallObserver = metrics;
        var kmsKeys = options.WrapKmsKeys?.Invoke(store) ?? store;
        var kms = new KeyManager(kmsKeys, rootKey, TimeProvider.System, options.TimeScale);
        // A backend that several nodes share keeps the audit log (PostgreSQL); the embedded one leaves it in files.
        var audit = store is IKmsAuditStore auditStore
            ? new KmsAuditLog(auditStore, TimeProvider.System, log)
            : new KmsAuditLog(KmsAuditLog.FolderOf(folder.Root), TimeProvider.System, log);
        var services = new CofferServices
        {
            Options = options,
            Folder = folder,
            Store = store,
            Blobs = meteredBlobs,
            Reclaimer = new BlobReclaimer(meteredBlobs, store, gracePeriod: BlobReclaimer.DefaultGracePeriod / options.TimeScale, onError: (id, e) => log.LogWarning("Blob {BlobId} could not be reclaimed ({Error}); it stays queued and is tried again.", id.Length > 0 ? id : "(queue)", e.Message)),
            RootKey = rootKey,
            Kms = kms,
            Envelope = new KmsEnvelope(kms),
            Credentials = new CredentialStore(store, rootKey, TimeProvider.System),
            Log = log,
            Audit = audit,
            Uploads = new UploadLimiter(options.MaxConcurrentUploads),
            AccessLog = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(AccessLog.Category),
            Metrics = metrics,
            KmsKeys = kmsKeys,
            Readiness = new Readiness(store, meteredBlobs, kmsKeys, log),
            MetricsEndpoint = scrape,
        };
        metrics.Observe(kms, services.Envelope, services.Uploads);
        await services.Reclaimer.StartAsync(ct);
        var kmsMaintenance = new KmsMaintenance(kms, store, audit, log, options.KmsMaintenanceInterval ?? KmsMaintenance.IntervalFor(options.TimeScale), store, nodeId);
        var orphanSweep = new LeasedJob(OrphanSweepJobName, store, nodeId, OrphanSweepIntervalFor(options.TimeScale), async ct =>
        {
            var swept = await OrphanSweeper.SweepAsync(store, blobs, TimeProvider.System, ct).ConfigureAwait(false);
            if (swept.OrphanBlobsDeleted > 0)
                log.LogInformation("Swept {Orphans} orphaned blobs.", swept.OrphanBlobsDeleted);
        }, log, firstPassAlone: alone);
        var lifecycle = new LifecycleJob(services, options.LifecycleClock ?? TimeProvider.System,
            options.LifecycleInterval ?? LifecycleJob.IntervalFor(options.TimeScale), nodeId);
        var scrub = options.ScrubInterval is { } scrubEvery
            ? new ScheduledScrub(store, blobs, scrubEvery / options.TimeScale, options.ScrubBytesPerSecond, nodeId, log)
            : null;
        if (scrub is not null)
            metrics.ObserveScrub(scrub);
        var dispatcher = new RequestDispatcher(services);
        app.Run(dispatcher.HandleAsync);
        await app.StartAsync(ct);
        var restrictAccess = Task.Run(() =>
        {
            try
            {
                var count = tightened + folder.RestrictAccess();
                if (count > 0)
                    log.LogWarning("The data folder {Root} was readable by other users: made {Count} entries owner-only (folders 0700, files 0600).", folder.Root, count);
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                log.LogError("The data folder {Root} could not all be made owner-only ({Error}); the folder itself is 0700, so no other user reaches into it.", folder.Root, e.Message);
            }
        }, CancellationToken.None);
        kmsMaintenance.Start();
        orphanSweep.Start();
        lifecycle.Start();
        scrub?.Start();

        var server = new CofferServer(app, services, kmsMaintenance, orphanSweep, lifecycle, scrub)
        {
            DataFolderRestricted = restrictAccess,
            NodeId = nodeId,
            RootAccessKeyId = accessKeyId,
            GeneratedRootSecret = newSecret,
            Certificate = certificate,
            CertificatePath = certificatePath,
            TemporaryFilesSwept = temporaryFilesSwept,
        };
        var addresses = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        foreach (var address in addresses)
        {
            var uri = new Uri(address);
            if (uri.Scheme == "https") server.HttpsUrl = uri;
            else server.HttpUrl = uri;
        }
        if (temporaryFilesSwept > 0)
            log.LogInformation("Swept {Temps} temporary files left by an earlier stop.", temporaryFilesSwept);
        return server;
    }

    /// <summary>The lease name of the periodic orphan sweep.</summary>
    public const string OrphanSweepJobName = "orphan-sweep";

    /// <summary>
    /// Time between periodic orphan sweeps (the first starts with the server, in the background): ten minutes of server time (divided by the time
    /// scale), at least 10 s. Each lists the whole blob store, so it is one node's job (a leased job).
    /// </summary>
    public static TimeSpan OrphanSweepIntervalFor(double timeScale)
    {
        var scaled = TimeSpan.FromMinutes(10) / Math.Max(timeScale, 1e-9);
        return scaled < TimeSpan.FromSeconds(10) ? TimeSpan.FromSeconds(10) : scaled;
    }

    /// <summary>The slowest request body accepted, in bytes per second averaged since the body began (after <see cref="MinUploadGracePeriod"/>).</summary>
    public const int MinUploadBytesPerSecond = 1024;
    public static readonly TimeSpan MinUploadGracePeriod = TimeSpan.FromSeconds(5);

    public async Task StopAsync()
    {
        await _app.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await DataFolderRestricted;
        await _kmsMaintenance.DisposeAsync();
        await _orphanSweep.DisposeAsync();
        await _lifecycle.DisposeAsync();
        if (_scrub is not null)
            await _scrub.DisposeAsync();
        await _app.DisposeAsync();
        _services.Audit.Dispose(); // before the store: a database log writes what is queued
        await _services.DisposeAsync();
        _services.Metrics.Dispose();
        Certificate?.Dispose();
    }

    /// <summary>An OTLP collector URL: absolute http or https (gRPC: http://HOST:4317; HTTP: http://HOST:4318/v1/traces).</summary>
    public static Uri ParseOtlpEndpoint(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri
            : throw new ArgumentException($"--otlp-endpoint takes an http:// or https:// URL of an OTLP collector (gRPC: http://HOST:4317; HTTP/protobuf: http://HOST:4318/v1/traces); got '{value}'.");

    private static IPEndPoint ParseEndpoint(string value, string flag)
    {
        if (value.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase))
            value = "127.0.0.1:" + value["localhost:".Length..];
        if (IPEndPoint.TryParse(value, out var endpoint) && value.Contains(':'))
            return endpoint;
        throw new ArgumentException($"{flag} takes ADDR:PORT (e.g. 127.0.0.1:9000, [::1]:9000 or 0.0.0.0:9000) or 'none'; got '{value}'.");
    }
}
