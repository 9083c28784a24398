using System.CommandLine;
using System.Globalization;
using Coffer.Sdk;

namespace Coffer.Cli;

/// <summary>
/// <c>coffer cp</c> and <c>coffer mv</c>: local to remote (the SDK's resumable multipart upload above a threshold),
/// remote to local (parallel ranged download), remote to remote (server-side copy), one object or a whole folder.
/// </summary>
internal static partial class CopyCommand
{
    private enum Kind
    {
        Upload,
        Download,
        Copy,
        UploadStdin,
        DownloadStdout,
    }

    /// <summary>One file or object to transfer.</summary>
    private sealed record Item(Kind Kind, string? Local, RemotePath? Source, RemotePath? Destination)
    {
        public string From => Kind is Kind.Upload or Kind.UploadStdin ? Local! : Source!.Value.ToString();

        public string To => Kind is Kind.Download or Kind.DownloadStdout ? Local! : Destination!.Value.ToString();
    }

    /// <summary>What one transfer did.</summary>
    private sealed record Result(string Operation, string Source, string Destination, long Bytes, bool Multipart, int Parts, int PartsSkipped)
    {
        public bool Resumed => PartsSkipped > 0;
    }

    public static Command CreateCp() => Create(move: false);

    public static Command CreateMv() => Create(move: true);

    private static Command Create(bool move)
    {
        var name = move ? "mv" : "cp";
        var source = new Argument<string>("source") { Description = "A local file (a folder with --recursive), cos://BUCKET/KEY (a prefix with --recursive), or - for standard input (cp)." };
        var destination = new Argument<string>("destination") { Description = "A local path or cos://BUCKET/KEY; ending with '/' (or an existing folder) keeps the source's name. - writes the object to standard output (cp)." };
        var recursive = new Option<bool>("--recursive", "-r") { Description = "Copy a whole local folder or every object under a prefix." };
        var threads = new Option<int>("--threads") { Description = "Parts transferred at once per file (1 to 64).", DefaultValueFactory = _ => 5 };
        var partSize = new Option<string?>("--part-size") { Description = "Part size of multipart transfers, e.g. 8MiB (at least 1MiB).", HelpName = "SIZE" };
        var threshold = new Option<string?>("--multipart-threshold") { Description = "Uploads larger than this go in parts (default 20MiB).", HelpName = "SIZE" };
        var noProgress = new Option<bool>("--no-progress") { Description = "Do not draw progress bars (they are drawn only when stdout is a terminal anyway)." };
        var noClobber = new Option<bool>("--no-clobber", "-n")
        {
            Description = "Uploads only: write a key only if it has no object yet (If-None-Match: *, checked atomically when the upload ends); an existing object is kept and that file fails with 412 PreconditionFailed.",
        };
        var json = Output.JsonOption();
        var encryption = EncryptionOptions.ForTransfers();
        var verb = move ? "Move" : "Copy";
        var stdio = move ? "" : "\n  tar c ./logs | coffer cp - cos://backups/logs.tar --sse AES256   ('-': standard input; in parts when long)"
            + "\n  coffer cp cos://backups/logs.tar - | tar x                       ('-': standard output)";
        var command = new Command(name, $"""
            {verb} files and objects: local to cos://, cos:// to local, or cos:// to cos:// (server-side).
            {(move ? "The source is deleted once the copy has succeeded." : "Large files go in parts through the SDK's transfer manager, several at a time.")}
            An interrupted upload or download resumes where it stopped when the same command is run again
            (checkpoints are kept beside the config file). Progress bars with rate and time left are drawn
            when stdout is a terminal.

            Encryption of what is written: --sse AES256 | --sse SM4 | --sse cos/kms [--sse-kms-key-id KEY] [--sse-context JSON]
            | --sse-c-key KEY. Reading an SSE-C object: --sse-c-key (download) or --copy-source-sse-c-key (copy).

            Examples:
              coffer {name} ./photo.jpg cos://photos/2026/photo.jpg --sse AES256
              coffer {name} ./backup.tar cos://backups/ --sse cos/kms --sse-kms-key-id alias/backups --sse-context '{"{"}"team":"ops"{"}"}'
              coffer {name} cos://photos/2026/photo.jpg ./ --sse-c-key @key.bin
              coffer {name} cos://photos/a.jpg cos://archive/a.jpg --copy-source-sse-c-key @old.bin --sse-c-key @new.bin
              coffer {name} --recursive ./site cos://web/site/{stdio}
            """)
        {
            source, destination, recursive, threads, partSize, threshold, noProgress, noClobber, json,
        };
        encryption.AddTo(command);
        command.SetAction((parse, ct) => Output.RunAsync(parse, json, async (run, ct) =>
        {
            var options = new TransferOptions(
                parse.GetValue(threads),
                ParseSize(parse.GetValue(partSize), "--part-size"),
                ParseSize(parse.GetValue(threshold), "--multipart-threshold"),
                encryption, parse, parse.GetValue(noClobber));
            if (options.Threads is < 1 or > 64)
                throw new UsageException("--threads must be from 1 to 64.");
            if (options.PartSize is < 1024 * 1024)
                throw new UsageException("--part-size must be at least 1MiB.");
            // Bad keys and flag combinations are usage errors before anything is listed or sent.
            _ = encryption.WriteSse(parse);
            _ = encryption.CopySourceKey(parse);
            var items = PlanStdio(run, parse.GetValue(source)!, parse.GetValue(destination)!, parse.GetValue(recursive), move)
                ?? await PlanAsync(run, parse.GetValue(source)!, parse.GetValue(destination)!, parse.GetValue(recursive), move, ct);
            CheckFlags(items, encryption, parse);
            if (options.NoClobber && items.Count > 0 && items[0].Kind != Kind.Upload)
                throw new UsageException("--no-clobber applies to uploads (a local file to cos://) only.");
            var toStdout = items.Count == 1 && items[0].Kind == Kind.DownloadStdout;
            if (toStdout && run.Json)
                throw new UsageException("--json prints to standard output, where '-' writes the object; leave out one of them.");
            var show = !run.Json && !toStdout && !parse.GetValue(noProgress) && Output.StdoutIsTerminal;
            var (results, exitCode) = await TransferDisplay.RunAsync(show, display => RunAllAsync(run, items, options, display, move, ct));
            if (run.Json)
            {
                Output.WriteJson(new
                {
                    transfers = results.Select(r => new
                    {
                        operation = r.Operation,
                        source = r.Source,
                        destination = r.Destination,
                        bytes = r.Bytes,
                        multipart = r.Multipart,
                        parts = r.Parts,
                        partsSkipped = r.PartsSkipped,
                        resumed = r.Resumed,
                    }),
                    failed = items.Count - results.Count,
                });
            }
            return exitCode;
        }, ct));
        return command;
    }

    private sealed record TransferOptions(int Threads, long? PartSize, long? Threshold, EncryptionOptions Encryption, ParseResult Parse, bool NoClobber = false);

    private static void CheckFlags(IReadOnlyList<Item> items, EncryptionOptions encryption, ParseResult parse)
    {
        if (items.Count == 0)
            return;
        var kind = items[0].Kind;
        if (kind is Kind.Download or Kind.DownloadStdout && encryption.AnyWriteFlag(parse))
            throw new UsageException("--sse, --sse-kms-key-id, --sse-context and --storage-class choose how an object is written; a download only needs --sse-c-key for an SSE-C object.");
        if (kind != Kind.Copy && parse.GetValue(encryption.CopySourceCustomerKey) is not null)
            throw new UsageException("--copy-source-sse-c-key is for cos:// to cos:// copies; for a download of an SSE-C object use --sse-c-key.");
    }

    /// <summary>Lists what to transfer; usage errors for impossible combinations.</summary>
    private static async Task<IReadOnlyList<Item>> PlanAsync(Invocation run, string source, string destination, bool recursive, bool move, CancellationToken ct)
    {
        var fromRemote = RemotePath.IsRemote(source);
        var toRemote = RemotePath.IsRemote(destination);
        if (!fromRemote && !toRemote)
            throw new UsageException("both paths are local; one of them must be cos://BUCKET/KEY.");

        if (!fromRemote)
        {
            var to = RemotePath.Parse(destination);
            run.Target = to;
            if (Directory.Exists(source))
            {
                if (!recursive)
                    throw new UsageException($"{source} is a folder; add --recursive to upload everything in it.");
                return Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories)
                    .Order(StringComparer.Ordinal)
                    .Select(f => new Item(Kind.Upload, f, null, to.WithKey(to.FolderPrefix + Path.GetRelativePath(source, f).Replace(Path.DirectorySeparatorChar, '/'))))
                    .ToList();
            }
            if (!File.Exists(source))
                throw new LocalNotFoundException($"{source}: no such file or folder.");
            if (recursive)
                throw new UsageException($"{source} is a file; --recursive is for folders.");
            return [new Item(Kind.Upload, source, null, to.IsFolder ? to.WithKey(to.Key + Path.GetFileName(source)) : to)];
        }

        var from = RemotePath.Parse(source);
        run.Target = from;
        if (!recursive)
        {
            if (from.IsFolder)
                throw new UsageException($"{from} names no object; give a key, or add --recursive to copy everything under the prefix.");
            if (!toRemote)
            {
                var local = Directory.Exists(destination) || EndsWithSeparator(destination) ? Path.Combine(destination, from.Name) : destination;
                return [new Item(Kind.Download, local, from, null)];
            }
            var to = RemotePath.Parse(destination);
            var target = to.IsFolder ? to.WithKey(to.Key + from.Name) : to;
            if (move && target == from)
                throw new UsageException($"{from} cannot be moved onto itself.");
            return [new Item(Kind.Copy, null, from, target)];
        }

        var prefix = from.FolderPrefix;
        var items = new List<Item>();
        var client = run.Connection.Client;
        var destinationRemote = toRemote ? RemotePath.Parse(destination) : (RemotePath?)null;
        var root = toRemote ? null : Path.GetFullPath(destination);
        await foreach (var summary in client.ListAllObjectsAsync(from.Bucket, prefix, ct))
        {
            if (summary.Key.EndsWith('/'))
                continue;   // a folder marker
            var relative = summary.Key[prefix.Length..];
            if (destinationRemote is { } d)
            {
                items.Add(new Item(Kind.Copy, null, from.WithKey(summary.Key), d.WithKey(d.FolderPrefix + relative)));
                continue;
            }
            if (SafeLocalPath(root!, relative) is not { } local)
            {
                Output.Warn($"skipping {from.WithKey(summary.Key)}: its key would leave {destination} ('..', an absolute path or an empty segment).");
                continue;
            }
            items.Add(new Item(Kind.Download, local, from.WithKey(summary.Key), null));
        }
        return items;
    }

    /// <summary>The local path for a key relative to a download folder, or null when the key would escape it.</summary>
    private static string? SafeLocalPath(string root, string relative)
    {
        var segments = relative.Split('/');
        if (segments.Any(s => s.Length == 0 || s is "." or ".." || s.Contains('\\') || s.Contains(':')))
            return null;
        var full = Path.GetFullPath(Path.Combine([root, .. segments]));
        return full.StartsWith(root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? full : null;
    }

    private static bool EndsWithSeparator(string path) => path.EndsWith('/') || path.EndsWith(Path.DirectorySeparatorChar);

    /// <summary>Runs the transfers (up to 4 files at a time). One file: its error propagates; several: each failure is a line, and the rest go on.</summary>
    private static async Task<(IReadOnlyList<Result>, int)> RunAllAsync(Invocation run, IReadOnlyList<Item> items, TransferOptions options, TransferDisplay display, bool move, CancellationToken ct)
    {
        if (items.Count == 1)
            return ([await RunOneAsync(run, items[0], options, display, move, ct)], ExitCodes.Ok);

        var results = new List<Result>();
        var exitCode = ExitCodes.Ok;
        var gate = new Lock();
        await Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (item, token) =>
        {
            try
            {
                var result = await RunOneAsync(run, item, options, display, move, token);
                lock (gate)
                    results.Add(result);
            }
            catch (Exception e) when (e is CofferException or CosClientException or IOException or UnauthorizedAccessException)
            {
                var code = e is CofferException ce ? ExitCodes.ForServerCode(ce.Code) : ExitCodes.Failure;
                var why = e switch
                {
                    CofferException ce2 => Output.Describe(ce2, run),
                    CosClientException cc => Output.Describe(cc, run),
                    _ => e.Message,
                };
                Output.Error($"{item.From} to {item.To} failed: {why}");
                lock (gate)
                    exitCode = exitCode == ExitCodes.Ok ? code : exitCode;
            }
        });
        return (results, exitCode);
    }

    private static async Task<Result> RunOneAsync(Invocation run, Item item, TransferOptions options, TransferDisplay display, bool move, CancellationToken ct)
    {
        var result = item.Kind switch
        {
            Kind.Upload => await UploadAsync(run.Connection.Client, item, options, display, move, ct),
            Kind.Download => await DownloadAsync(run.Connection.Client, item, options, display, move, ct),
            Kind.UploadStdin => await UploadFromStdinAsync(run.Connection.Client, item, options, display, ct),
            Kind.DownloadStdout => await DownloadToStdoutAsync(run.Connection.Client, item, options, ct),
            _ => await CopyAsync(run.Connection.Client, item, options, display, move, ct),
        };
        if (!run.Json && item.Kind != Kind.DownloadStdout)   // standard output carries the object then
        {
            var resumed = result.Resumed ? $" (resumed: {result.PartsSkipped} of {result.Parts} parts were already done)" : "";
            display.Line($"{result.Operation}: {result.Source} to {result.Destination}{resumed}");
        }
        return result;
    }

    private static async Task<Result> UploadAsync(CosClient client, Item item, TransferOptions options, TransferDisplay display, bool move, CancellationToken ct)
    {
        var to = item.Destination!.Value;
        var size = new FileInfo(item.Local!).Length;
        var bar = display.Start($"{Path.GetFileName(item.Local)} → {to}", size);
        var request = new UploadFileRequest
        {
            Bucket = to.Bucket,
            Key = to.Key,
            LocalFilePath = item.Local!,
            Sse = options.Encryption.WriteSse(options.Parse),
            StorageClass = options.Encryption.StorageClassValue(options.Parse),
            MaxThreads = options.Threads,
            CheckpointDirectory = CliConfig.CheckpointDirectory,
            Progress = bar.Callback,
            IfNoneMatch = options.NoClobber ? "*" : null,
        };
        if (options.PartSize is { } part)
            request.PartSize = part;
        if (options.Threshold is { } threshold)
            request.MultipartThreshold = threshold;
        var response = await client.UploadFileAsync(request, ct);
        bar.Complete();
        if (move)
            File.Delete(item.Local!);
        return new Result(move ? "move" : "upload", item.Local!, to.ToString(), size, response.Multipart, response.PartCount, response.PartsSkipped);
    }

    private static async Task<Result> DownloadAsync(CosClient client, Item item, TransferOptions options, TransferDisplay display, bool move, CancellationToken ct)
    {
        var from = item.Source!.Value;
        if (Path.GetDirectoryName(Path.GetFullPath(item.Local!)) is { } directory)
            Directory.CreateDirectory(directory);
        var bar = display.Start($"{from} → {item.Local}", 0);
        var request = new DownloadFileRequest
        {
            Bucket = from.Bucket,
            Key = from.Key,
            DestFilePath = item.Local!,
            CustomerKey = options.Encryption.ReadKey(options.Parse),
            MaxThreads = options.Threads,
            CheckpointDirectory = CliConfig.CheckpointDirectory,
            Progress = bar.Callback,
        };
        if (options.PartSize is { } part)
            request.PartSize = part;
        var response = await client.DownloadFileAsync(request, ct);
        bar.Complete();
        if (move)
            await client.DeleteObjectAsync(from.Bucket, from.Key, ct);
        return new Result(move ? "move" : "download", from.ToString(), item.Local!, response.ContentLength, response.PartCount > 1, response.PartCount, response.PartsSkipped);
    }

    private static async Task<Result> CopyAsync(CosClient client, Item item, TransferOptions options, TransferDisplay display, bool move, CancellationToken ct)
    {
        var from = item.Source!.Value;
        var to = item.Destination!.Value;
        var bar = display.Start($"{from} → {to}", 0);
        var request = new CopyRequest
        {
            Bucket = to.Bucket,
            Key = to.Key,
            CopySource = new CopySource(from.Bucket, from.Key),
            CopySourceCustomerKey = options.Encryption.CopySourceKey(options.Parse),
            Sse = options.Encryption.WriteSse(options.Parse),
            StorageClass = options.Encryption.StorageClassValue(options.Parse),
            MaxThreads = options.Threads,
            Progress = bar.Callback,
        };
        if (options.PartSize is { } part)
            request.PartSize = part;
        var response = await client.CopyAsync(request, ct);
        bar.Complete();
        // The copy's size for the summary; an SSE-C destination needs its key for HEAD.
        var head = await client.HeadObjectAsync(new HeadObjectRequest { Bucket = to.Bucket, Key = to.Key, CustomerKey = request.Sse as SseCustomer }, ct);
        if (move)
            await client.DeleteObjectAsync(from.Bucket, from.Key, ct);
        return new Result(move ? "move" : "copy", from.ToString(), to.ToString(), head.ContentLength, response.Multipart, response.PartCount, 0);
    }

    /// <summary>"8MiB", "8M", "512KiB", "1GB" (binary units) or a number of bytes; null when not given.</summary>
    internal static long? ParseSize(string? text, string option)
    {
        if (text is null)
            return null;
        var t = text.Trim();
        var digits = 0;
        while (digits < t.Length && (char.IsAsciiDigit(t[digits]) || t[digits] == '.'))
            digits++;
        var multiplier = t[digits..].Trim().ToUpperInvariant() switch
        {
            "" or "B" => 1L,
            "K" or "KB" or "KIB" => 1L << 10,
            "M" or "MB" or "MIB" => 1L << 20,
            "G" or "GB" or "GIB" => 1L << 30,
            _ => 0L,
        };
        if (multiplier == 0 || !double.TryParse(t[..digits], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number) || number <= 0)
            throw new UsageException($"{option} '{text}' is not a size; write e.g. 8MiB, 512KiB or 1048576.");
        return (long)(number * multiplier);
    }
}
