using System.CommandLine;
using System.Text.Json;
using Coffer.Crypto;
using Coffer.Crypto.Kms;
using Coffer.Server.Audit;
using Coffer.Server.Hosting;
using Coffer.Server.Sse;
using Coffer.Storage;

namespace Coffer.Cli;

/// <summary>
/// `coffer admin rekey`: re-wraps the object keys of a bucket's SSE-KMS objects under another KMS key, without
/// rewriting data; resumable, safe beside the running server and concurrent writes (see <see cref="Rekeyer"/>).
/// </summary>
internal static partial class RekeyCommand
{
    /// <summary>Exit code when some objects could not be re-wrapped.</summary>
    public const int SomeFailed = 4;

    /// <summary>Exit code when interrupted (Ctrl+C); the progress is saved.</summary>
    public const int Interrupted = 130;

    public static Command Create()
    {
        var bucket = new Option<string>("--bucket") { Description = "The bucket whose objects to re-wrap.", Required = true };
        var prefix = new Option<string>("--prefix") { Description = "Only object keys that start with this.", DefaultValueFactory = _ => "" };
        var fromKey = new Option<string?>("--from-key") { Description = "Only objects under this KMS key (id, alias or ARN); default: every SSE-KMS object not already under --to-key." };
        var toKey = new Option<string>("--to-key") { Description = "The KMS key (id, alias or ARN) to re-wrap under: one of the bucket owner's keys.", Required = true };
        var data = new Option<string>("--data") { Description = "Data folder of the server, opened directly (default coffer-data when no endpoint is configured).", DefaultValueFactory = _ => "coffer-data" };
        var endpoint = AdminEndpoint.Option();
        var limit = new Option<long?>("--limit") { Description = "Stop after re-wrapping this many objects; run the same command again to continue." };
        var restart = new Option<bool>("--restart") { Description = "Forget the progress of an interrupted run and start from the first key." };
        var json = new Option<bool>("--json") { Description = "Print a JSON summary for scripts (progress lines go to stderr)." };
        var command = new Command("rekey", """
            Re-wrap a bucket's SSE-KMS objects under another KMS key, without rewriting data.

            Only each object's sealed key changes (same context, same binding); ETags, dates and
            content stay. Safe while the server runs: an object written meanwhile is re-read, never clobbered.

            Progress is saved as it goes: if the command is stopped (--limit, Ctrl+C, a crash), running it
            again with the same options continues after the last object done. Every re-wrapped object is a
            "Rekey" entry of the KMS audit log (coffer kms audit). The KMS keys must be enabled.

            With --endpoint (or a profile endpoint) the job runs on the server (admin API) and this command
            follows it; Ctrl+C stops it there, with its progress saved.

            Examples:
              coffer admin rekey --bucket photos --to-key alias/photos-2027 --data /srv/coffer
              coffer admin rekey --bucket photos --to-key alias/photos-2027 --endpoint https://coffer.example:8443
              coffer admin rekey --bucket photos --prefix 2026/ --from-key 1234abcd-... --to-key alias/photos-2027
            """)
        {
            bucket, prefix, fromKey, toKey, data, endpoint, limit, restart, json,
        };
        command.SetAction(async (parse, ct) =>
        {
            var request = new RekeyRequest(parse.GetValue(bucket)!, parse.GetValue(toKey)!, parse.GetValue(prefix) ?? "", parse.GetValue(fromKey),
                parse.GetValue(limit), parse.GetValue(restart));
            if (request.Limit is <= 0)
            {
                Console.Error.WriteLine("coffer admin rekey: --limit must be at least 1.");
                return 2;
            }
            if (AdminEndpoint.UseApi(parse, data, endpoint) is not { } remote)
                return ExitCodes.Usage;
            if (remote)
                return await RunRemoteAsync(parse, request, json, endpoint, ct);
            return await RunAsync(parse.GetValue(data)!, request, parse.GetValue(json), ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(string dataDirectory, RekeyRequest request, bool json, CancellationToken ct)
    {
        var opened = await OpenDataFolderAsync(dataDirectory, "coffer admin rekey", ct);
        if (opened is not var (store, rootKey, folder))
            return 1;
        await using var _ = store;
        using var __ = rootKey;
        var kms = new KeyManager(store, rootKey);
        using var audit = new KmsAuditLog(KmsAuditLog.FolderOf(folder.Root));
        using var keyEvents = audit.RecordKeyEvents(kms, "admin");
        var rekeyer = new Rekeyer(store, kms, new KmsEnvelope(kms), audit);
        var progressOut = json ? Console.Error : Console.Out;
        var progress = new ProgressLines<RekeyJobRecord>(progressOut, 100, TimeSpan.FromSeconds(1), job => $"progress: {Summary(job)}; last key '{job.LastKey}'");
        try
        {
            var result = await rekeyer.RunAsync(request, progress, ct);
            var job = result.Job;
            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    bucket = job.Bucket,
                    prefix = job.Prefix,
                    fromKeyId = job.FromKeyId,
                    toKeyId = job.ToKeyId,
                    finished = result.Finished,
                    resumed = result.Resumed,
                    lastKey = job.LastKey,
                    rekeyed = job.Rekeyed,
                    skipped = job.Skipped,
                    conflicts = job.Conflicts,
                    failed = job.Failed,
                }));
            }
            else
            {
                if (result.Resumed)
                    Console.WriteLine($"(continued an interrupted run started {job.Started:u})");
                Console.WriteLine(result.Finished
                    ? $"Done: {Summary(job)}; every object of s3://{job.Bucket}/{job.Prefix} that matched is now under KMS key {job.ToKeyId}."
                    : $"Stopped after --limit {request.Limit}: {Summary(job)}. Run the same command again to continue after '{job.LastKey}'.");
                if (job.Failed > 0)
                    Console.WriteLine($"{job.Failed} object(s) could not be opened (their KMS key disabled, pending deletion or deleted?); see `coffer kms audit --key {job.ToKeyId}`.");
            }
            return job.Failed > 0 ? SomeFailed : 0;
        }
        catch (RekeyException e)
        {
            Console.Error.WriteLine($"coffer admin rekey: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Console.Error.WriteLine("coffer admin rekey: interrupted; the progress is saved: run the same command again to continue.");
            return Interrupted;
        }
    }

    private static string Summary(RekeyJobRecord job) =>
        $"{job.Rekeyed} re-wrapped, {job.Skipped} skipped, {job.Conflicts} changed meanwhile, {job.Failed} failed";

    /// <summary>
    /// Opens an existing data folder's metadata and root key (COFFER_ROOT_KEY or root.key). Unlike the server it never
    /// creates them: a new root key could not open the existing KMS keys. Null (with a message) when there is none.
    /// </summary>
    internal static async Task<(IMetadataBackend Store, RootKey RootKey, DataFolder Folder)?> OpenDataFolderAsync(string dataDirectory, string command, CancellationToken ct)
    {
        var full = Path.GetFullPath(dataDirectory);
        if (!Directory.Exists(full) || !File.Exists(Path.Combine(full, "meta.db")))
        {
            Console.Error.WriteLine($"{command}: {full} is not a Coffer data folder (no meta.db); pass the server's --data.");
            return null;
        }
        var folder = new DataFolder(full);
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("COFFER_ROOT_KEY")) && !File.Exists(folder.RootKeyPath))
        {
            Console.Error.WriteLine($"{command}: no root key: {folder.RootKeyPath} is missing and COFFER_ROOT_KEY is not set.");
            return null;
        }
        RootKey rootKey;
        try
        {
            rootKey = folder.LoadOrCreateRootKey();
        }
        catch (RootKeyException e)
        {
            Console.Error.WriteLine($"{command}: {e.Message}");
            return null;
        }
        IMetadataBackend? store = null;
        try
        {
            store = await Backends.OpenMetadataAsync(null, folder, ct);
            await Credentials.VerifyRootKeyAsync(store, rootKey, folder.RootKeySource, folder.DatabasePath, ct);
            return (store, rootKey, folder);
        }
        catch (RootKeyException e)
        {
            await store!.DisposeAsync();
            rootKey.Dispose();
            Console.Error.WriteLine($"{command}: {e.Message}");
            return null;
        }
        catch
        {
            if (store is not null)
                await store.DisposeAsync();
            rootKey.Dispose();
            throw;
        }
    }
}
