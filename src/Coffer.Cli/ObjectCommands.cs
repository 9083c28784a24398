using System.CommandLine;
using Coffer.Sdk;

namespace Coffer.Cli;

/// <summary>Bucket and object commands: <c>mb</c>, <c>rb</c>, <c>ls</c>, <c>rm</c>, <c>stat</c>, <c>cat</c>, <c>restore</c>, <c>presign</c>.</summary>
internal static partial class ObjectCommands
{
    private const int DeleteParallelism = 8;

    public static IEnumerable<Command> Create() => [MakeBucket(), RemoveBucket(), List(), Remove(), Stat(), Cat(), Restore(), Presign()];

    private static Argument<string> BucketArgument() => new("bucket") { Description = "The bucket: cos://BUCKET." };

    private static RemotePath ParseBucket(Invocation run, string text)
    {
        var path = RemotePath.Parse(text);
        if (path.Key.Length > 0)
            throw new UsageException($"'{text}' names an object; give the bucket alone: cos://{path.Bucket}");
        run.Target = path;
        return path;
    }

    private static RemotePath ParseObject(Invocation run, string text)
    {
        var path = RemotePath.Parse(text);
        if (path.Key.Length == 0)
            throw new UsageException($"'{text}' names no object; write cos://{path.Bucket}/KEY.");
        run.Target = path;
        return path;
    }

    private static Command MakeBucket()
    {
        var bucket = BucketArgument();
        var json = Output.JsonOption();
        var command = new Command("mb", """
            Make a bucket.

            Example:
              coffer mb cos://photos
            """) { bucket, json };
        command.SetAction((parse, ct) => Output.RunAsync(parse, json, async (run, ct) =>
        {
            var path = ParseBucket(run, parse.GetValue(bucket)!);
            await run.Connection.Client.CreateBucketAsync(path.Bucket, ct);
            if (run.Json)
                Output.WriteJson(new { bucket = path.Bucket, created = true });
            else
                Console.WriteLine($"make_bucket: {path.Bucket}");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command RemoveBucket()
    {
        var bucket = BucketArgument();
        var force = new Option<bool>("--force") { Description = "Delete every object and abort every unfinished multipart upload first." };
        var json = Output.JsonOption();
        var command = new Command("rb", """
            Remove a bucket (--force empties it first).

            The bucket must be empty, unless --force is given: then its objects are deleted and its unfinished
            multipart uploads aborted first.

            Examples:
              coffer rb cos://scratch
              coffer rb --force cos://scratch
            """) { bucket, force, json };
        command.SetAction((parse, ct) => Output.RunAsync(parse, json, async (run, ct) =>
        {
            var path = ParseBucket(run, parse.GetValue(bucket)!);
            var client = run.Connection.Client;
            long deleted = 0;
            if (parse.GetValue(force))
            {
                deleted = await DeleteAllAsync(client, path, "", run.Json ? null : key => Console.WriteLine($"delete: {path.WithKey(key)}"), ct);
                await AbortUploadsAsync(client, path.Bucket, ct);
            }
            await client.DeleteBucketAsync(path.Bucket, ct);
            if (run.Json)
                Output.WriteJson(new { bucket = path.Bucket, removed = true, objectsDeleted = deleted });
            else
                Console.WriteLine($"remove_bucket: {path.Bucket}");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command List()
    {
        var path = new Argument<string?>("path") { Description = "cos://BUCKET[/PREFIX]; none lists your buckets.", Arity = ArgumentArity.ZeroOrOne };
        var recursive = new Option<bool>("--recursive", "-r") { Description = "Every object under the prefix, with full keys, instead of one level." };
        var human = new Option<bool>("--human-readable", "-H") { Description = "Sizes as KiB, MiB, GiB." };
        var summarize = new Option<bool>("--summarize") { Description = "End with the number of objects and their total size." };
        var json = Output.JsonOption();
        var command = new Command("ls", """
            List buckets, or the objects of a bucket.

            One level at a time like a folder (sub-prefixes shown as "PRE name/"), or every object under the
            prefix with --recursive.

            Examples:
              coffer ls
              coffer ls cos://photos/2026/
              coffer ls --recursive --human-readable --summarize cos://photos
            """) { path, recursive, human, summarize, json };
        command.SetAction((parse, ct) => Output.RunAsync(parse, json, async (run, ct) =>
        {
            if (parse.GetValue(path) is not { } text)
                return await ListBucketsAsync(run, ct);
            var target = RemotePath.Parse(text);
            run.Target = target;
            return await ListObjectsAsync(run, target, parse.GetValue(recursive), parse.GetValue(human), parse.GetValue(summarize), ct);
        }, ct));
        return command;
    }

    private static async Task<int> ListBucketsAsync(Invocation run, CancellationToken ct)
    {
        var buckets = await run.Connection.Admin.ListBucketsAsync(ct);
        if (run.Json)
            Output.WriteJson(new { buckets = buckets.Select(b => new { name = b.Name, created = b.Created, region = b.Region }) });
        else
            foreach (var b in buckets)
                Console.WriteLine($"{Output.Time(b.Created)} {b.Name}");
        return ExitCodes.Ok;
    }

    private static async Task<int> ListObjectsAsync(Invocation run, RemotePath target, bool recursive, bool human, bool summarize, CancellationToken ct)
    {
        var client = run.Connection.Client;
        var objects = new List<ObjectSummary>();
        var prefixes = new List<string>();
        if (recursive)
        {
            await foreach (var o in client.ListAllObjectsAsync(target.Bucket, target.Key, ct))
                objects.Add(o);
        }
        else
        {
            string? marker = null;
            while (true)
            {
                var page = await client.ListObjectsAsync(new ListObjectsRequest { Bucket = target.Bucket, Prefix = target.Key, Delimiter = "/", Marker = marker }, ct);
                objects.AddRange(page.Contents);
                prefixes.AddRange(page.CommonPrefixes);
                if (!page.IsTruncated)
                    break;
                marker = page.NextMarker ?? page.Contents.Select(c => c.Key).Concat(page.CommonPrefixes).Max(StringComparer.Ordinal);
                if (marker is null)
                    break;
            }
        }

        if (run.Json)
        {
            Output.WriteJson(new
            {
                bucket = target.Bucket,
                prefix = target.Key,
                prefixes = recursive ? null : prefixes,
                objects = objects.Select(o => new { key = o.Key, size = o.Size, lastModified = o.LastModified, etag = o.ETag, storageClass = o.StorageClass, restoreStatus = o.RestoreStatus }),
            });
            return ExitCodes.Ok;
        }

        // As aws s3 ls: one level shows names after the prefix's last '/'; --recursive shows full keys.
        var cut = recursive ? 0 : target.Key.LastIndexOf('/') + 1;
        var entries = prefixes.Select(p => (Name: p, Line: $"{"PRE",30} {p[cut..]}"))
            .Concat(objects.Select(o => (Name: o.Key, Line: $"{Output.Time(o.LastModified)} {(human ? Output.HumanSize(o.Size) : o.Size.ToString(System.Globalization.CultureInfo.InvariantCulture)),10} {o.Key[cut..]}")))
            .OrderBy(e => e.Name, StringComparer.Ordinal);
        foreach (var (_, line) in entries)
            Console.WriteLine(line);
        if (summarize)
        {
            var total = objects.Sum(o => o.Size);
            Console.WriteLine();
            Console.WriteLine($"Total Objects: {objects.Count}");
            Console.WriteLine($"   Total Size: {(human ? Output.HumanSize(total) : total.ToString(System.Globalization.CultureInfo.InvariantCulture))}");
        }
        return ExitCodes.Ok;
    }

    private static Command Remove()
    {
        var path = new Argument<string>("path") { Description = "cos://BUCKET/KEY, or a prefix with --recursive." };
        var recursive = new Option<bool>("--recursive", "-r") { Description = "Delete every object under the prefix." };
        var json = Output.JsonOption();
        var command = new Command("rm", """
            Delete an object, or every object under a prefix with --recursive.

            Deleting a key that does not exist succeeds, as on COS and S3.

            Examples:
              coffer rm cos://photos/2026/old.jpg
              coffer rm --recursive cos://photos/tmp/
            """) { path, recursive, json };
        command.SetAction((parse, ct) => Output.RunAsync(parse, json, async (run, ct) =>
        {
            var target = RemotePath.Parse(parse.GetValue(path)!);
            run.Target = target;
            var client = run.Connection.Client;
            var deleted = new List<string>();
            if (parse.GetValue(recursive))
            {
                await DeleteAllAsync(client, target, target.Key, key =>
                {
                    lock (deleted)
                        deleted.Add(key);
                    if (!run.Json)
                        Console.WriteLine($"delete: {target.WithKey(key)}");
                }, ct);
            }
            else
            {
                if (target.Key.Length == 0)
                    throw new UsageException($"{target} names no object; give a key, or add --recursive to delete everything under the prefix.");
                await client.DeleteObjectAsync(target.Bucket, target.Key, ct);
                deleted.Add(target.Key);
                if (!run.Json)
                    Console.WriteLine($"delete: {target}");
            }
            if (run.Json)
                Output.WriteJson(new { bucket = target.Bucket, deleted = deleted.Order(StringComparer.Ordinal) });
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    /// <summary>Deletes every object under a prefix, several at a time; returns how many.</summary>
    private static async Task<long> DeleteAllAsync(CosClient client, RemotePath bucket, string prefix, Action<string>? deleted, CancellationToken ct)
    {
        long count = 0;
        await Parallel.ForEachAsync(client.ListAllObjectsAsync(bucket.Bucket, prefix, ct), new ParallelOptions { MaxDegreeOfParallelism = DeleteParallelism, CancellationToken = ct },
            async (o, token) =>
            {
                await client.DeleteObjectAsync(bucket.Bucket, o.Key, token);
                Interlocked.Increment(ref count);
                deleted?.Invoke(o.Key);
            });
        return count;
    }

    private static async Task AbortUploadsAsync(CosClient client, string bucket, CancellationToken ct)
    {
        string? keyMarker = null, uploadMarker = null;
        while (true)
        {
            var page = await client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { Bucket = bucket, KeyMarker = keyMarker, UploadIdMarker = uploadMarker }, ct);
            foreach (var upload in page.Uploads)
                await client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { Bucket = bucket, Key = upload.Key, UploadId = upload.UploadId }, ct);
            if (!page.IsTruncated || page.NextKeyMarker is null)
                return;
            (keyMarker, uploadMarker) = (page.NextKeyMarker, page.NextUploadIdMarker);
        }
    }
}
