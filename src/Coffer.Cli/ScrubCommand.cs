using System.CommandLine;
using System.Text.Json;
using Coffer.Crypto;
using Coffer.Crypto.Kms;
using Coffer.Server.Audit;
using Coffer.Server.Hosting;
using Coffer.Server.Objects;
using Coffer.Server.Sse;
using Coffer.Storage;

namespace Coffer.Cli;

/// <summary>
/// `coffer admin scrub`: checks every stored object (or one bucket's) for damage without any key, or with --deep by
/// decrypting it; resumable, rate-limited, safe beside running servers (see <see cref="Scrubber"/>). It opens the
/// stores themselves (the data folder, or --metadata and --blobs as the nodes have them), so it runs wherever they
/// are reachable.
/// </summary>
internal static class ScrubCommand
{
    /// <summary>Exit code when damaged objects were found.</summary>
    public const int DamageFound = 5;

    /// <summary>Exit code when interrupted (Ctrl+C); the progress is saved.</summary>
    public const int Interrupted = 130;

    public static Command Create()
    {
        var bucket = new Option<string?>("--bucket") { Description = "Only this bucket's objects (default: every bucket)." };
        var deep = new Option<bool>("--deep") { Description = "Also decrypt every object the server can open by itself (not SSE-C) and check its CRC-64; needs the root key (DIR/root.key or COFFER_ROOT_KEY)." };
        var rate = new Option<double?>("--rate") { Description = "Read at most this many MB/s of stored data (default: no limit)." };
        var restart = new Option<bool>("--restart") { Description = "Forget the progress of an interrupted scrub and start from the first object." };
        var status = new Option<bool>("--status") { Description = "Print the saved progress and findings of the last scrub with these options (or the server's scheduled one) without running anything." };
        var data = new Option<string>("--data") { Description = "Data folder of the server (its metadata and blobs, unless --metadata / --blobs say otherwise; its root key for --deep).", DefaultValueFactory = _ => "coffer-data" };
        var metadata = new Option<string?>("--metadata") { Description = $"The metadata backend, as `coffer serve --metadata` (also {Backends.MetadataVariable})." };
        var blobs = new Option<string?>("--blobs") { Description = $"The blob store, as `coffer serve --blobs` (also {Backends.BlobsVariable}; keys in {Backends.BlobsAccessKeyVariable} / {Backends.BlobsSecretKeyVariable})." };
        var json = new Option<bool>("--json") { Description = "Print a JSON summary for scripts (progress lines go to stderr)." };
        var command = new Command("scrub", """
            Check stored data for damage (bit rot, lost or altered blobs) and report each damaged object.

            Keyless (the default): every blob (and inline stream) is read back and compared, in size and
            checksum, with what was recorded when it was written. No key is needed. With --deep, every object
            the server can open by itself (plain, SSE-COS, SSE-KMS) is also decrypted in full, which
            authenticates every frame, and its CRC-64 compared; SSE-C objects get the keyless check only.
            Nothing is repaired or changed.

            Safe while servers run: an object rewritten meanwhile is re-read, not reported. Progress is saved
            as it goes: if the command is stopped (Ctrl+C, a crash), running it again with the same options
            continues after the last object saved. Exit code 0: no damage; 5: damage found (listed); 1: the
            scrub could not run; 130: interrupted.

            Examples:
              coffer admin scrub --data /srv/coffer
              coffer admin scrub --bucket photos --deep --rate 50 --data /srv/coffer
              coffer admin scrub --metadata postgresql://coffer@db/coffer --blobs 's3://coffer-blobs?endpoint=https://rgw:7480'
              coffer admin scrub --status --data /srv/coffer
            """)
        {
            bucket, deep, rate, restart, status, data, metadata, blobs, json,
        };
        command.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(rate) is <= 0)
            {
                Output.Error("admin scrub: --rate must be more than 0 MB/s.");
                return ExitCodes.Usage;
            }
            var request = new ScrubRequest(parse.GetValue(bucket), parse.GetValue(deep), parse.GetValue(rate) * 1e6, parse.GetValue(restart));
            var metadataSpec = parse.GetValue(metadata) ?? NullIfEmpty(Environment.GetEnvironmentVariable(Backends.MetadataVariable));
            var blobsSpec = parse.GetValue(blobs) ?? NullIfEmpty(Environment.GetEnvironmentVariable(Backends.BlobsVariable));
            return await RunAsync(parse.GetValue(data)!, metadataSpec, blobsSpec, request, parse.GetValue(status), parse.GetValue(json), ct);
        });
        return command;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static async Task<int> RunAsync(string dataDirectory, string? metadataSpec, string? blobsSpec, ScrubRequest request, bool statusOnly, bool json, CancellationToken ct)
    {
        const string Command = "admin scrub";
        var folder = new DataFolder(Path.GetFullPath(dataDirectory));
        IMetadataBackend store;
        IBlobStore blobs;
        try
        {
            var parsed = Backends.ParseMetadata(metadataSpec, folder);
            if (parsed.Kind == Backends.MetadataKind.Sqlite && !File.Exists(parsed.Target))
            {
                Output.Error($"{Command}: there is no metadata database at {parsed.Target}; pass the server's --data (or --metadata).");
                return 1;
            }
            store = await Backends.OpenMetadataAsync(metadataSpec, folder, ct);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            Output.Error($"{Command}: {e.Message}");
            return 1;
        }
        await using var _ = store;
        try
        {
            blobs = await Backends.OpenBlobsAsync(blobsSpec, folder, ct: ct);
        }
        catch (Exception e) when (e is ArgumentException or BlobStoreUnavailableException)
        {
            Output.Error($"{Command}: {e.Message}");
            return 1;
        }
        using var __ = blobs as IDisposable;

        RootKey? rootKey = null;
        KmsAuditLog? audit = null;
        try
        {
            Func<ObjectRecord, CancellationToken, Task<ObjectKey>>? openKey = null;
            if (request.Deep && !statusOnly)
            {
                if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("COFFER_ROOT_KEY")) && !File.Exists(folder.RootKeyPath))
                {
                    Output.Error($"{Command}: --deep needs the root key: {folder.RootKeyPath} is missing and COFFER_ROOT_KEY is not set.");
                    return 1;
                }
                try
                {
                    rootKey = folder.LoadOrCreateRootKey();
                    await Credentials.VerifyRootKeyAsync(store, rootKey, folder.RootKeySource, folder.DatabasePath, ct);
                }
                catch (RootKeyException e)
                {
                    Output.Error($"{Command}: {e.Message}");
                    return 1;
                }
                var kms = new KeyManager(store, rootKey);
                audit = store is IKmsAuditStore auditStore ? new KmsAuditLog(auditStore) : new KmsAuditLog(KmsAuditLog.FolderOf(folder.Root));
                var envelope = new KmsEnvelope(kms);
                openKey = (obj, ct) => SseService.OpenKmsSealedAsync(envelope, audit, obj, null, ct);
            }

            var scrubber = new Scrubber(store, blobs, openKey)
            {
                OnFinding = json ? null : f => Console.WriteLine($"DAMAGED {f.Bucket}/{f.Key} (version {f.VersionId}): {f.Problem}"),
            };
            ScrubProgress? progress;
            bool finished, resumed = false;
            if (statusOnly)
            {
                progress = await scrubber.GetProgressAsync(request.Bucket, request.Deep, ct);
                if (progress is null)
                {
                    Output.Error($"{Command}: no {(request.Deep ? "deep" : "keyless")} scrub of {(request.Bucket is null ? "every bucket" : $"bucket '{request.Bucket}'")} has run yet.");
                    return 1;
                }
                finished = progress.Completed is not null;
                if (!json)
                    foreach (var f in progress.Findings)
                        Console.WriteLine($"DAMAGED {f.Bucket}/{f.Key} (version {f.VersionId}): {f.Problem} (found {f.Found:u})");
            }
            else
            {
                var printer = new ProgressLines<ScrubProgress>(json ? Console.Error : Console.Out, 1000, TimeSpan.FromSeconds(5), p => $"progress: {Summary(p)}; at {p.Bucket}/{p.LastKey}");
                var result = await scrubber.RunAsync(request, printer, ct);
                (progress, finished, resumed) = (result.Progress, result.Finished, result.Resumed);
            }

            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    bucket = progress.Scope,
                    deep = progress.Deep,
                    finished,
                    resumed,
                    objects = progress.Objects,
                    streams = progress.Streams,
                    bytes = progress.Bytes,
                    damaged = progress.Damaged,
                    notDecrypted = progress.NotDecrypted,
                    changed = progress.Changed,
                    findings = progress.Findings.Select(f => new { bucket = f.Bucket, key = f.Key, versionId = f.VersionId, problem = f.Problem, found = f.Found }),
                    started = progress.Started,
                    completed = progress.Completed,
                }));
            }
            else
            {
                if (resumed)
                    Console.WriteLine($"(continued an interrupted scrub started {progress.Started:u})");
                Console.WriteLine($"{(finished ? "Done" : "Not finished")}: {Summary(progress)}.");
                if (progress.Damaged > progress.Findings.Count)
                    Console.WriteLine($"(only the first {progress.Findings.Count} damaged objects are kept in the saved progress; the server log has them all)");
            }
            return progress.Damaged > 0 ? DamageFound : finished ? 0 : 1;
        }
        catch (NoSuchBucketException e)
        {
            Output.Error($"{Command}: {e.Message}");
            return 1;
        }
        catch (BlobStoreUnavailableException e)
        {
            Output.Error($"{Command}: the blob store stopped answering ({e.Message}); the progress is saved: run the same command again to continue.");
            return 1;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Output.Error($"{Command}: interrupted; the progress is saved: run the same command again to continue.");
            return Interrupted;
        }
        finally
        {
            audit?.Dispose();
            rootKey?.Dispose();
        }
    }

    private static string Summary(ScrubProgress p)
    {
        var text = $"{p.Objects} objects ({p.Streams} streams, {p.Bytes:N0} stored bytes) checked, {p.Damaged} damaged, {p.Changed} changed while checked";
        return p.Deep ? text + $", {p.NotDecrypted} checked keyless only (SSE-C or KMS key not usable)" : text;
    }
}
