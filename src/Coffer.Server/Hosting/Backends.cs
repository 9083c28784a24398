using System.Text.RegularExpressions;
using Coffer.Storage;
using Coffer.Storage.Postgres;
using Coffer.Storage.S3;
using Npgsql;

namespace Coffer.Server.Hosting;

/// <summary>
/// The composition root of storage: the one place outside Coffer.Storage that names concrete backends.
/// It turns a metadata spec (<c>coffer serve --metadata</c>, <c>COFFER_METADATA</c>) into an
/// <see cref="IMetadataBackend"/> and a blobs spec (<c>--blobs</c>, <c>COFFER_BLOBS</c>) into an
/// <see cref="IBlobStore"/>; everything else sees only the interfaces. A null or empty spec is the
/// embedded default in the data folder (<c>meta.db</c>, <c>blobs/</c>).
/// </summary>
/// <remarks>
/// A spec is a URI whose scheme picks the backend, or a plain path. Metadata: <c>sqlite:PATH</c> or a path
/// (SQLite), <c>postgresql://…</c> / <c>postgres://…</c> or an Npgsql connection string (PostgreSQL).
/// Blobs: <c>file:DIR</c> or a directory (filesystem), <c>s3://BUCKET?…</c> (an S3-compatible store).
/// To add a backend, add its scheme to <see cref="ParseMetadata"/> or <see cref="ParseBlobs"/> and a case
/// to the switch that opens it. Specs may carry credentials: messages name the scheme, never the spec.
/// </remarks>
public static partial class Backends
{
    /// <summary>The environment variable <c>coffer serve</c> reads when <c>--metadata</c> is not given.</summary>
    public const string MetadataVariable = "COFFER_METADATA";

    /// <summary>The environment variable <c>coffer serve</c> reads when <c>--blobs</c> is not given.</summary>
    public const string BlobsVariable = "COFFER_BLOBS";

    /// <summary>The S3 blob backend's access key, when the options do not give one.</summary>
    public const string BlobsAccessKeyVariable = "COFFER_BLOBS_ACCESS_KEY";

    /// <summary>The S3 blob backend's secret key, when the options do not give one.</summary>
    public const string BlobsSecretKeyVariable = "COFFER_BLOBS_SECRET_KEY";

    /// <summary>The metadata backends a spec can name.</summary>
    public enum MetadataKind
    {
        Sqlite,
        Postgres,
    }

    /// <summary>The blob backends a spec can name.</summary>
    public enum BlobKind
    {
        FileSystem,
        S3,
    }

    /// <summary>What a metadata spec names: the backend and where (a full path for SQLite; the spec itself otherwise).</summary>
    public readonly record struct MetadataSpec(MetadataKind Kind, string Target);

    /// <summary>What a blobs spec names: the backend and where (a full directory path for files; the spec itself otherwise).</summary>
    public readonly record struct BlobSpec(BlobKind Kind, string Target);

    /// <summary>Opens the metadata backend <paramref name="spec"/> names (null: the data folder's SQLite database), migrating its schema.</summary>
    /// <exception cref="ArgumentException">The spec is malformed or names a backend this build does not have.</exception>
    /// <exception cref="InvalidOperationException">The PostgreSQL database cannot be reached or used (the message says why, without credentials).</exception>
    public static async Task<IMetadataBackend> OpenMetadataAsync(string? spec, DataFolder folder, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var parsed = ParseMetadata(spec, folder);
        return parsed.Kind switch
        {
            MetadataKind.Sqlite => await SqliteMetadataStore.OpenAsync(parsed.Target, ct).ConfigureAwait(false),
            MetadataKind.Postgres => await OpenPostgresAsync(parsed.Target, ct).ConfigureAwait(false),
            _ => throw new ArgumentOutOfRangeException(nameof(spec)),
        };
    }

    /// <summary>
    /// Opens a PostgreSQL metadata database. What can go wrong with a reachable-or-not server (refused
    /// connection, failed login, a database newer than this program or not UTF8) becomes one
    /// <see cref="InvalidOperationException"/> naming the host and database only.
    /// </summary>
    private static async Task<IMetadataBackend> OpenPostgresAsync(string spec, CancellationToken ct)
    {
        try
        {
            return await PostgresMetadataStore.OpenAsync(spec, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or NotSupportedException or TimeoutException)
        {
            throw new InvalidOperationException(
                $"The PostgreSQL metadata database ({HostOf(spec)}) cannot be used: {OneLine(e.Message)}", e);
        }
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();

    /// <summary>
    /// Opens the blob store <paramref name="spec"/> names (null: the data folder's <c>blobs/</c>). An S3 store takes
    /// its credentials from <paramref name="accessKey"/> / <paramref name="secretKey"/>, else from
    /// <c>COFFER_BLOBS_ACCESS_KEY</c> / <c>COFFER_BLOBS_SECRET_KEY</c>, and its bucket is created when missing, so a
    /// backend that cannot be reached is found now rather than by the first request.
    /// </summary>
    /// <exception cref="ArgumentException">The spec is malformed, or the S3 credentials are missing.</exception>
    /// <exception cref="BlobStoreUnavailableException">The S3 backend cannot be reached or refuses the bucket.</exception>
    public static async Task<IBlobStore> OpenBlobsAsync(string? spec, DataFolder folder, string? accessKey = null, string? secretKey = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var parsed = ParseBlobs(spec, folder);
        switch (parsed.Kind)
        {
            case BlobKind.FileSystem:
                return new FileSystemBlobStore(parsed.Target);
            case BlobKind.S3:
                var options = S3BlobStoreOptions.Parse(parsed.Target,
                    accessKey ?? Environment.GetEnvironmentVariable(BlobsAccessKeyVariable) ?? "",
                    secretKey ?? Environment.GetEnvironmentVariable(BlobsSecretKeyVariable) ?? "");
                var store = new S3BlobStore(options);
                try
                {
                    await store.CreateBucketIfMissingAsync(ct).ConfigureAwait(false);
                    return store;
                }
                catch
                {
                    store.Dispose();
                    throw;
                }
            default:
                throw new ArgumentOutOfRangeException(nameof(spec));
        }
    }

    /// <summary>
    /// Whether the metadata backend <paramref name="spec"/> names belongs to one node alone. The embedded
    /// SQLite database does (one server per data folder; several nodes share PostgreSQL): its server deletes the
    /// temporary files and hands every pending blob to the reclaimer at startup (<see cref="OrphanSweeper.PrepareAloneAsync"/>),
    /// as nothing else can be writing. On a shared backend, pending blobs wait out their lifetime.
    /// </summary>
    public static bool IsSingleNode(string? spec, DataFolder folder) => ParseMetadata(spec, folder).Kind == MetadataKind.Sqlite;

    /// <summary>Reads a metadata spec without opening anything.</summary>
    /// <exception cref="ArgumentException">The spec is malformed or its scheme unknown.</exception>
    public static MetadataSpec ParseMetadata(string? spec, DataFolder folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (string.IsNullOrWhiteSpace(spec))
            return new MetadataSpec(MetadataKind.Sqlite, folder.DatabasePath);
        spec = spec.Trim();
        if (HasScheme(spec, "sqlite"))
            return new MetadataSpec(MetadataKind.Sqlite, FullPath(AfterScheme(spec), "--metadata sqlite:PATH"));
        if (HasScheme(spec, "postgresql") || HasScheme(spec, "postgres") || NpgsqlKeyword().IsMatch(spec))
            return new MetadataSpec(MetadataKind.Postgres, spec);
        if (UnknownScheme(spec) is { } scheme)
            throw new ArgumentException($"--metadata: unknown backend '{scheme}:'; use sqlite:PATH (or a path) for SQLite, or postgresql://USER:PASSWORD@HOST:PORT/DATABASE for PostgreSQL.");
        return new MetadataSpec(MetadataKind.Sqlite, FullPath(spec, "--metadata PATH"));
    }

    /// <summary>Reads a blobs spec without opening anything.</summary>
    /// <exception cref="ArgumentException">The spec is malformed or its scheme unknown.</exception>
    public static BlobSpec ParseBlobs(string? spec, DataFolder folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (string.IsNullOrWhiteSpace(spec))
            return new BlobSpec(BlobKind.FileSystem, folder.BlobRoot);
        spec = spec.Trim();
        if (HasScheme(spec, "file"))
            return new BlobSpec(BlobKind.FileSystem, FullPath(AfterScheme(spec), "--blobs file:DIR"));
        if (HasScheme(spec, "s3"))
            return new BlobSpec(BlobKind.S3, spec);
        if (UnknownScheme(spec) is { } scheme)
            throw new ArgumentException($"--blobs: unknown backend '{scheme}:'; use file:DIR (or a directory) for files, or s3://BUCKET?endpoint=URL&region=REGION for an S3-compatible store.");
        return new BlobSpec(BlobKind.FileSystem, FullPath(spec, "--blobs DIR"));
    }

    /// <summary>A line for the startup banner; never shows credentials (a PostgreSQL spec is reduced to its host and database).</summary>
    public static string DescribeMetadata(string? spec, DataFolder folder)
    {
        var parsed = ParseMetadata(spec, folder);
        return parsed.Kind == MetadataKind.Sqlite ? $"SQLite {parsed.Target}" : $"PostgreSQL {HostOf(parsed.Target)}";
    }

    /// <summary>A line for the startup banner; never shows credentials.</summary>
    public static string DescribeBlobs(string? spec, DataFolder folder)
    {
        var parsed = ParseBlobs(spec, folder);
        return parsed.Kind == BlobKind.FileSystem ? $"files {Path.Combine(parsed.Target, "blobs")}" : $"S3 {HostOf(parsed.Target)}";
    }

    private static bool HasScheme(string spec, string scheme) =>
        spec.Length > scheme.Length && spec[scheme.Length] == ':' && spec.StartsWith(scheme, StringComparison.OrdinalIgnoreCase);

    /// <summary>What follows "scheme:", without the "//" of the URI form (sqlite:///srv/meta.db is /srv/meta.db).</summary>
    private static string AfterScheme(string spec)
    {
        var rest = spec[(spec.IndexOf(':') + 1)..];
        return rest.StartsWith("//", StringComparison.Ordinal) ? rest[2..] : rest;
    }

    /// <summary>The scheme of "scheme://…", or null for anything else (paths, including C:\… on Windows).</summary>
    private static string? UnknownScheme(string spec)
    {
        var match = UriScheme().Match(spec);
        return match.Success ? match.Groups[1].Value : null;
    }

    private static string FullPath(string path, string form)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new ArgumentException($"{form}: the path is empty.");
        return Path.GetFullPath(path);
    }

    /// <summary>
    /// host[:port][/path] of a URI, without user info or query; host:port/database of an Npgsql connection
    /// string; "(connection string)" when neither can be read.
    /// </summary>
    private static string HostOf(string spec)
    {
        if (Uri.TryCreate(spec, UriKind.Absolute, out var uri) && !string.IsNullOrEmpty(uri.Host))
            return $"{uri.Scheme}://{uri.Host}{(uri.IsDefaultPort ? "" : ":" + uri.Port)}{uri.AbsolutePath}";
        if (NpgsqlKeyword().IsMatch(spec))
        {
            try
            {
                var builder = new NpgsqlConnectionStringBuilder(spec);
                return $"{builder.Host}:{builder.Port}/{builder.Database ?? builder.Username}";
            }
            catch (ArgumentException)
            {
                // Unreadable: say nothing of it (it may carry a password).
            }
        }
        return "(connection string)";
    }

    [GeneratedRegex(@"^([A-Za-z][A-Za-z0-9+.\-]*)://")]
    private static partial Regex UriScheme();

    [GeneratedRegex(@"(^|;)\s*(Host|Server)\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex NpgsqlKeyword();
}
