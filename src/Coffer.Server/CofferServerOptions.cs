using Microsoft.Extensions.Logging;

namespace Coffer.Server;

/// <summary>How a Coffer server runs. Every property has the embedded default of `coffer serve`.</summary>
public sealed class CofferServerOptions
{
    /// <summary>The data folder: metadata database, blobs, root key, generated certificate.</summary>
    public string DataDirectory { get; set; } = "coffer-data";

    /// <summary>
    /// Where the metadata (and the KMS key store) lives: null for the embedded default, SQLite in the data
    /// folder (<c>meta.db</c>); <c>sqlite:PATH</c> or a path for another SQLite file. See
    /// <see cref="Hosting.Backends"/> for the forms (`coffer serve --metadata`, COFFER_METADATA).
    /// </summary>
    public string? Metadata { get; set; }

    /// <summary>
    /// Where the ciphertext blobs live: null for the embedded default, the data folder's <c>blobs/</c>;
    /// <c>file:DIR</c> or a directory for another folder; <c>s3://BUCKET?endpoint=URL&amp;region=…</c> for an
    /// S3-compatible store (Ceph RGW, MinIO, AWS S3, COS). See <see cref="Hosting.Backends"/>
    /// (`coffer serve --blobs`, COFFER_BLOBS).
    /// </summary>
    public string? Blobs { get; set; }

    /// <summary>The S3 blob backend's access key; null reads <c>COFFER_BLOBS_ACCESS_KEY</c>.</summary>
    public string? BlobsAccessKey { get; set; }

    /// <summary>The S3 blob backend's secret key; null reads <c>COFFER_BLOBS_SECRET_KEY</c>. Never logged.</summary>
    public string? BlobsSecretKey { get; set; }

    /// <summary>Plain HTTP listener as ADDR:PORT (port 0 picks a free one), or null for none.</summary>
    public string? HttpEndpoint { get; set; } = "127.0.0.1:9000";

    /// <summary>HTTPS listener as ADDR:PORT, or null for none.</summary>
    public string? HttpsEndpoint { get; set; } = "127.0.0.1:9443";

    /// <summary>PEM certificate and key for HTTPS; when null a self-signed one is generated and kept in the data folder.</summary>
    public string? CertificatePemPath { get; set; }
    public string? CertificateKeyPemPath { get; set; }

    /// <summary>Base domain for virtual-hosted addressing (`bucket.DOMAIN`); COS-style hosts are always recognised.</summary>
    public string? Domain { get; set; }

    /// <summary>The region buckets report (GetBucketLocation, x-cos-bucket-region).</summary>
    public string Region { get; set; } = "us-east-1";

    /// <summary>Root credentials; when null they come from COFFER_ACCESS_KEY / COFFER_SECRET_KEY or are generated once.</summary>
    public string? RootAccessKey { get; set; }
    public string? RootSecretKey { get; set; }

    /// <summary>
    /// How fast server time runs for long-lived jobs: restore durations, KMS key deletion
    /// windows, the days of lifecycle rules and the grace period before the data of replaced and
    /// deleted objects is removed are divided by it (1 = real durations as COS documents them; 3600 turns an hour into a
    /// second for demos, tests and benchmarks).
    /// </summary>
    public double TimeScale { get; set; } = 1.0;

    /// <summary>
    /// The clock restore windows are measured on; null means the server's clock. Tests pass one
    /// they can move forward, to let a restored copy expire without waiting a (scaled) day.
    /// </summary>
    public TimeProvider? RestoreClock { get; set; }

    /// <summary>
    /// The clock lifecycle rules are measured on (which objects and uploads are due); null means the server's clock.
    /// Tests pass one they can move forward, to let a rule's days pass at once.
    /// </summary>
    public TimeProvider? LifecycleClock { get; set; }

    /// <summary>
    /// How often the lifecycle job runs the buckets' rules; null for an hour of server time (<see cref="TimeScale"/>),
    /// at least 100 ms and at most an hour.
    /// </summary>
    public TimeSpan? LifecycleInterval { get; set; }

    /// <summary>
    /// How often a keyless scrub of every stored object starts (<see cref="Hosting.ScheduledScrub"/>), in server
    /// time (<see cref="TimeScale"/>); null (the default) for never. A leased job: one node runs it, in bounded
    /// passes that save their progress, so a node that stops hands the rest to another.
    /// </summary>
    public TimeSpan? ScrubInterval { get; set; }

    /// <summary>Stored bytes per second the scheduled scrub reads at most.</summary>
    public double ScrubBytesPerSecond { get; set; } = DefaultScrubBytesPerSecond;

    /// <summary>The default of <see cref="ScrubBytesPerSecond"/>: 32 MB/s.</summary>
    public const double DefaultScrubBytesPerSecond = 32e6;

    /// <summary>
    /// How often the KMS job destroys expired keys and rotates due ones; null for an hour of server time
    /// (<see cref="TimeScale"/>), at least 100 ms and at most a minute.
    /// </summary>
    public TimeSpan? KmsMaintenanceInterval { get; set; }

    /// <summary>
    /// How many request bodies (PUT and POST bodies: objects, parts, XML and KMS documents) the server
    /// receives at once. One more is answered 503 SlowDown at once, without reading its body, and its
    /// connection is closed. Each body being stored holds up to about 5 MiB (three 1 MiB transfer
    /// buffers, a 1 MiB file buffer, segment frames), so the default of 128 bounds that memory at about
    /// 640 MiB — while 2 cores are saturated by a handful of streams, and SDK transfer managers upload
    /// about 10 parts at a time per file.
    /// </summary>
    public int MaxConcurrentUploads { get; set; } = DefaultMaxConcurrentUploads;

    public const int DefaultMaxConcurrentUploads = 128;

    /// <summary>
    /// Objects written in one request (PUT, or a copy that rewrites the data) whose sealed form is at most this
    /// many bytes are kept in their metadata row instead of a blob: the PUT is then one metadata commit (one
    /// fsync on SQLite; no request to a remote blob store), and a GET one row read. 0 keeps every object in
    /// blobs. At most <see cref="MaxInlineMaxBytes"/>.
    /// </summary>
    public int InlineMaxBytes { get; set; } = DefaultInlineMaxBytes;

    public const int DefaultInlineMaxBytes = 64 * 1024;
    public const int MaxInlineMaxBytes = 1024 * 1024;

    /// <summary>How many connections Kestrel keeps open at once; a connection beyond them is closed as soon as it is accepted.</summary>
    public int MaxConnections { get; set; } = DefaultMaxConnections;

    public const int DefaultMaxConnections = 4096;

    /// <summary>
    /// How long a client may take to send a request's line and headers, counted from when the server starts waiting
    /// for them; a slower request (a slow-loris attack holds connections this way) is closed. Kestrel's own default is
    /// 30 s; 15 s frees a held connection twice as fast and is still ample for any real client.
    /// </summary>
    public TimeSpan RequestHeadersTimeout { get; set; } = DefaultRequestHeadersTimeout;

    public static readonly TimeSpan DefaultRequestHeadersTimeout = TimeSpan.FromSeconds(15);

    /// <summary>
    /// For tests: a decorator around the blob store the server opens (one that injects backend
    /// outages, or counts calls). Null in production.
    /// </summary>
    internal Func<Storage.IBlobStore, Storage.IBlobStore>? WrapBlobs { get; set; }

    /// <summary>
    /// For tests: a decorator around the KMS key store the server's KMS reads and writes (one that counts
    /// calls). Null in production.
    /// </summary>
    internal Func<Crypto.Kms.IKmsKeyStore, Crypto.Kms.IKmsKeyStore>? WrapKmsKeys { get; set; }

    /// <summary>Extra log output (tests capture the server log through this).</summary>
    public ILoggerProvider? LoggerProvider { get; set; }

    /// <summary>Minimum log level of the console log.</summary>
    public LogLevel LogLevel { get; set; } = LogLevel.Information;

    /// <summary>Whether to log to the console.</summary>
    public bool ConsoleLog { get; set; } = true;

    /// <summary>How the console log is written: one line of text, or one JSON object, per entry (`--log-format`).</summary>
    public LogFormat LogFormat { get; set; } = LogFormat.Text;

    /// <summary>Whether every request gets an access-log line (category <c>Coffer.Access</c>, Information; `--access-log`).</summary>
    public bool AccessLog { get; set; } = true;

    /// <summary>Who may read Prometheus metrics at <c>/_coffer/metrics</c> (`--metrics`); the administrator by default.</summary>
    public MetricsAccess Metrics { get; set; } = MetricsAccess.Admin;

    /// <summary>
    /// The access settings a new bucket gets (`--bucket-defaults`): S3's current ones (ACLs off under BucketOwnerEnforced,
    /// every Block Public Access flag on) by default, or the older COS/Ceph ones (ACLs on, nothing blocked).
    /// </summary>
    public BucketDefaults BucketDefaults { get; set; } = BucketDefaults.S3;

    /// <summary>
    /// An OTLP collector to send traces to (`--otlp-endpoint`): gRPC (<c>http://HOST:4317</c>) or HTTP/protobuf (a URL
    /// ending in <c>/v1/traces</c>). Null (the default): no tracing.
    /// </summary>
    public string? OtlpEndpoint { get; set; }
}

/// <summary>The access settings of a new bucket (docs/security.md#acls-and-public-access).</summary>
public enum BucketDefaults
{
    /// <summary>S3's defaults since April 2023: Object Ownership BucketOwnerEnforced (ACLs off) and all four Block Public Access flags on.</summary>
    S3,
    /// <summary>The older COS/Ceph defaults: no ownership controls (ACLs on, the writer owns what it writes) and nothing blocked.</summary>
    Legacy,
}

/// <summary>The console log's format.</summary>
public enum LogFormat
{
    /// <summary>One line of text per entry, with the time, level, category, request id and message.</summary>
    Text,
    /// <summary>One JSON object per line (Microsoft.Extensions.Logging's JSON console: Timestamp, LogLevel, Category, Message, State, Scopes).</summary>
    Json,
}

/// <summary>Who may read <c>/_coffer/metrics</c>.</summary>
public enum MetricsAccess
{
    /// <summary>The administrator only: the root user's own key, signed in the Authorization header, as for the admin API.</summary>
    Admin,
    /// <summary>Anyone who can reach a listener, unsigned (what a Prometheus server can scrape: it cannot sign requests).</summary>
    Anonymous,
    /// <summary>No metrics: nothing is collected and the path is an ordinary (refused) request.</summary>
    Off,
}
