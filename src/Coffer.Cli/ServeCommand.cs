using System.CommandLine;
using Coffer.Server;
using Coffer.Server.Hosting;

namespace Coffer.Cli;

/// <summary>`coffer serve`: runs the server on the embedded default unless told otherwise.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Data folder (metadata, blobs, root key, certificate).", DefaultValueFactory = _ => "coffer-data" };
        var metadata = new Option<string?>("--metadata")
        {
            Description = $"Where metadata and KMS keys live: sqlite:PATH or a path (default: DIR/meta.db), or a PostgreSQL database shared by several nodes: postgresql://USER:PASSWORD@HOST:5432/DB or an Npgsql connection string. Also {Backends.MetadataVariable}.",
        };
        var blobs = new Option<string?>("--blobs")
        {
            Description = $"Where the encrypted blobs live: file:DIR or a directory (default: the data folder, DIR/blobs), or s3://BUCKET?endpoint=URL&region=REGION for an S3-compatible store (Ceph RGW, MinIO, AWS S3, COS) with its keys in {Backends.BlobsAccessKeyVariable} / {Backends.BlobsSecretKeyVariable}. Also {Backends.BlobsVariable}.",
        };
        var http = new Option<string>("--http") { Description = "Plain HTTP listener ADDR:PORT, or 'none'.", DefaultValueFactory = _ => "127.0.0.1:9000" };
        var https = new Option<string>("--https") { Description = "HTTPS listener ADDR:PORT, or 'none'.", DefaultValueFactory = _ => "127.0.0.1:9443" };
        var cert = new Option<string?>("--cert") { Description = "PEM certificate for HTTPS (default: a self-signed one generated in the data folder)." };
        var key = new Option<string?>("--key") { Description = "PEM private key of --cert." };
        var domain = new Option<string?>("--domain") { Description = "Base domain for virtual-hosted addressing: bucket.DOMAIN." };
        var region = new Option<string>("--region") { Description = "Region the buckets report.", DefaultValueFactory = _ => "us-east-1" };
        var timeScale = new Option<double>("--time-scale") { Description = "Speed-up of restore durations, KMS deletion windows, the days of lifecycle rules and the 30 s grace before replaced data is deleted (3600: an hour becomes a second).", DefaultValueFactory = _ => 1.0 };

        var maxUploads = new Option<int>("--max-concurrent-uploads")
        {
            Description = $"Request bodies (object data, parts, XML, KMS documents) received at once; one more is answered 503 SlowDown without reading it, and its connection is closed. Bodies slower than {CofferServer.MinUploadBytesPerSecond} bytes/s (after {CofferServer.MinUploadGracePeriod.TotalSeconds:0} s) are cut.",
            DefaultValueFactory = _ => CofferServerOptions.DefaultMaxConcurrentUploads,
        };
        var maxConnections = new Option<int>("--max-connections")
        {
            Description = "Connections open at once; a connection beyond them is closed as soon as it is accepted.",
            DefaultValueFactory = _ => CofferServerOptions.DefaultMaxConnections,
        };

        var headerTimeout = new Option<double>("--header-timeout")
        {
            Description = "Seconds a client may take to send a request's headers; a slower request (slow-loris) is closed.",
            DefaultValueFactory = _ => CofferServerOptions.DefaultRequestHeadersTimeout.TotalSeconds,
        };

        var inlineMax = new Option<int>("--inline-max")
        {
            Description = $"Objects whose stored (sealed) form is at most this many bytes live in their metadata row instead of a blob: one commit per PUT, one read per GET. 0 keeps every object in blobs; at most {CofferServerOptions.MaxInlineMaxBytes}.",
            DefaultValueFactory = _ => CofferServerOptions.DefaultInlineMaxBytes,
        };

        var metrics = new Option<string>("--metrics")
        {
            Description = "Who may read Prometheus metrics at /_coffer/metrics: admin (the root user's own key, signed, as the admin API), anonymous (anyone who reaches a listener; what a Prometheus server can scrape), or off.",
            DefaultValueFactory = _ => "admin",
        };
        metrics.AcceptOnlyFromAmong("admin", "anonymous", "off");
        var bucketDefaults = new Option<string>("--bucket-defaults")
        {
            Description = "The access settings of new buckets: s3 (ACLs off under BucketOwnerEnforced, every Block Public Access flag on; what S3 does today) or legacy (ACLs on, the writer owns what it writes, nothing blocked; what COS and Ceph do). A CreateBucket's x-amz-object-ownership header still wins.",
            DefaultValueFactory = _ => "s3",
        };
        bucketDefaults.AcceptOnlyFromAmong("s3", "legacy");
        var logFormat = new Option<string>("--log-format")
        {
            Description = "Console log format: text (one line per entry) or json (one JSON object per line). Every line of a request carries its request id.",
            DefaultValueFactory = _ => "text",
        };
        logFormat.AcceptOnlyFromAmong("text", "json");
        var accessLog = new Option<string>("--access-log")
        {
            Description = "One log line per request (request id, user, operation, bucket, key, status, bytes, duration, SSE mode; never a key, secret or signature): on or off.",
            DefaultValueFactory = _ => "on",
        };
        accessLog.AcceptOnlyFromAmong("on", "off");
        var otlpEndpoint = new Option<string?>("--otlp-endpoint")
        {
            Description = "Send traces (request, authentication, KMS, metadata, blob spans) to this OpenTelemetry collector: http://HOST:4317 (gRPC) or http://HOST:4318/v1/traces (HTTP). Default: no tracing.",
            HelpName = "URL",
        };

        var scrubInterval = new Option<double>("--scrub-interval")
        {
            Description = "Hours between the starts of a keyless scrub of every stored object (each blob checked against the checksum recorded when it was written; damage is logged and shown by `coffer admin scrub --status`). 0 (the default) for none; e.g. 168 for weekly. Scaled by --time-scale.",
            DefaultValueFactory = _ => 0,
        };
        var scrubRate = new Option<double>("--scrub-rate")
        {
            Description = "MB/s of stored data the scheduled scrub reads at most.",
            DefaultValueFactory = _ => CofferServerOptions.DefaultScrubBytesPerSecond / 1e6,
        };
        var command = new Command("serve", """
            Start the Coffer server.

            With no flags: data in ./coffer-data, SQLite metadata, HTTP on 127.0.0.1:9000 and HTTPS on
            127.0.0.1:9443 with a self-signed certificate generated on first start. Root credentials come
            from COFFER_ACCESS_KEY / COFFER_SECRET_KEY, or are generated once and printed. The root key
            (DIR/root.key or COFFER_ROOT_KEY) is generated only for an empty data folder; a folder that
            holds data without its key, or with a wrong one, is refused with exit code 1.

            --metadata and --blobs (or COFFER_METADATA / COFFER_BLOBS) move the metadata database and the
            blobs out of the data folder; the root key, certificate and KMS audit log stay in it.
            Several nodes can share one PostgreSQL database (--metadata postgresql://…) and one blobs
            location, each with the same root key (COFFER_ROOT_KEY).

            Example:
              coffer serve --data /srv/coffer --http 0.0.0.0:9000 --domain s3.example.test
            """)
        {
            data, metadata, blobs, http, https, cert, key, domain, region, timeScale, maxUploads, maxConnections, headerTimeout, inlineMax, scrubInterval, scrubRate,
            metrics, logFormat, accessLog, otlpEndpoint, bucketDefaults,
        };
        command.SetAction(async (parse, ct) =>
        {
            var options = new CofferServerOptions
            {
                DataDirectory = parse.GetValue(data)!,
                Metadata = FromFlagOrEnvironment(parse.GetValue(metadata), Backends.MetadataVariable),
                Blobs = FromFlagOrEnvironment(parse.GetValue(blobs), Backends.BlobsVariable),
                HttpEndpoint = NoneToNull(parse.GetValue(http)),
                HttpsEndpoint = NoneToNull(parse.GetValue(https)),
                CertificatePemPath = parse.GetValue(cert),
                CertificateKeyPemPath = parse.GetValue(key),
                Domain = parse.GetValue(domain),
                Region = parse.GetValue(region)!,
                TimeScale = parse.GetValue(timeScale),
                MaxConcurrentUploads = parse.GetValue(maxUploads),
                MaxConnections = parse.GetValue(maxConnections),
                RequestHeadersTimeout = parse.GetValue(headerTimeout) is > 0 and < 86400 and var headerSeconds ? TimeSpan.FromSeconds(headerSeconds) : TimeSpan.Zero,
                InlineMaxBytes = parse.GetValue(inlineMax),
                Metrics = parse.GetValue(metrics) switch { "anonymous" => MetricsAccess.Anonymous, "off" => MetricsAccess.Off, _ => MetricsAccess.Admin },
                BucketDefaults = parse.GetValue(bucketDefaults) == "legacy" ? BucketDefaults.Legacy : BucketDefaults.S3,
                LogFormat = parse.GetValue(logFormat) == "json" ? LogFormat.Json : LogFormat.Text,
                AccessLog = parse.GetValue(accessLog) != "off",
                OtlpEndpoint = parse.GetValue(otlpEndpoint),
                ScrubInterval = parse.GetValue(scrubInterval) is > 0 and var hours ? TimeSpan.FromHours(hours) : null,
                ScrubBytesPerSecond = parse.GetValue(scrubRate) * 1e6,
            };
            if (options.TimeScale <= 0)
            {
                Console.Error.WriteLine("coffer serve: --time-scale must be greater than 0.");
                return 2;
            }
            if (options.MaxConcurrentUploads < 1 || options.MaxConnections < 1)
            {
                Console.Error.WriteLine("coffer serve: --max-concurrent-uploads and --max-connections must be at least 1.");
                return 2;
            }
            if (options.RequestHeadersTimeout <= TimeSpan.Zero)
            {
                Console.Error.WriteLine("coffer serve: --header-timeout must be more than 0 and less than 86400 seconds.");
                return 2;
            }
            if (options.InlineMaxBytes is < 0 or > CofferServerOptions.MaxInlineMaxBytes)
            {
                Console.Error.WriteLine($"coffer serve: --inline-max must be between 0 and {CofferServerOptions.MaxInlineMaxBytes} bytes.");
                return 2;
            }
            if (options.OtlpEndpoint is not null)
            {
                try
                {
                    CofferServer.ParseOtlpEndpoint(options.OtlpEndpoint);
                }
                catch (ArgumentException e)
                {
                    Console.Error.WriteLine($"coffer serve: {e.Message}");
                    return 2;
                }
            }
            if (parse.GetValue(scrubInterval) < 0 || !(options.ScrubBytesPerSecond > 0))
            {
                Console.Error.WriteLine("coffer serve: --scrub-interval must be 0 (off) or more hours, and --scrub-rate more than 0 MB/s.");
                return 2;
            }
            if (options.HttpEndpoint is null && options.HttpsEndpoint is null)
            {
                Console.Error.WriteLine("coffer serve: --http and --https are both 'none'; keep at least one listener.");
                return 2;
            }
            CofferServer server;
            try
            {
                server = await CofferServer.StartAsync(options, ct);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"coffer serve: {e.Message}");
                return 1;
            }
            await using (server)
            {
                PrintBanner(server, options);
                var stop = new TaskCompletionSource();
                using var registration = ct.Register(() => stop.TrySetResult());
                Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.TrySetResult(); };
                AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.TrySetResult();
                await stop.Task;
                Console.WriteLine("Coffer is stopping.");
            }
            return 0;
        });
        return command;
    }

    private static string? FromFlagOrEnvironment(string? flag, string variable) =>
        !string.IsNullOrWhiteSpace(flag) ? flag : Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value : null;

    private static string? NoneToNull(string? value) => value is null || value.Equals("none", StringComparison.OrdinalIgnoreCase) ? null : value;

    private static void PrintBanner(CofferServer server, CofferServerOptions options)
    {
        Console.WriteLine($"Coffer is serving data folder {Path.GetFullPath(options.DataDirectory)}");
        if (options.Metadata is not null || options.Blobs is not null)
        {
            var folder = server.Services.Folder;
            Console.WriteLine($"  Metadata {Backends.DescribeMetadata(options.Metadata, folder)}");
            Console.WriteLine($"  Blobs    {Backends.DescribeBlobs(options.Blobs, folder)}");
        }
        if (server.HttpUrl is not null) Console.WriteLine($"  HTTP   {server.HttpUrl}");
        if (server.HttpsUrl is not null) Console.WriteLine($"  HTTPS  {server.HttpsUrl}");
        if (server.Certificate is not null)
        {
            Console.WriteLine($"  Certificate {server.CertificatePath}");
            Console.WriteLine($"  SHA-256 fingerprint {Certificates.Fingerprint(server.Certificate)}");
        }
        Console.WriteLine($"  Access key id {server.RootAccessKeyId}");
        if (server.GeneratedRootSecret is not null)
        {
            Console.WriteLine($"  Secret key    {server.GeneratedRootSecret}");
            Console.WriteLine("  (generated now and shown only once: keep it; set COFFER_ACCESS_KEY / COFFER_SECRET_KEY to choose your own)");
        }
        var endpoint = server.HttpUrl ?? server.HttpsUrl;
        Console.WriteLine();
        Console.WriteLine("Try it with awscli:");
        Console.WriteLine($"  export AWS_ACCESS_KEY_ID={server.RootAccessKeyId} AWS_SECRET_ACCESS_KEY=<secret key> AWS_DEFAULT_REGION={options.Region}");
        Console.WriteLine($"  aws --endpoint-url {endpoint} s3 mb s3://my-bucket");
        Console.WriteLine($"  aws --endpoint-url {endpoint} s3 cp ./file.txt s3://my-bucket/file.txt --sse AES256");
        if (server.HttpsUrl is not null && server.CertificatePath is not null)
            Console.WriteLine($"  aws --endpoint-url {server.HttpsUrl} --ca-bundle {server.CertificatePath} s3 ls s3://my-bucket");
    }
}
