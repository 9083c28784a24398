using Coffer.Fuzz;
using SharpFuzz;

// coffer-fuzz TARGET              run TARGET under afl-fuzz (fuzz/run.sh starts it; outside afl-fuzz: one input from stdin)
// coffer-fuzz replay TARGET PATH  run every file under PATH through TARGET, uninstrumented; prints what escapes
// coffer-fuzz seed FOLDER         write the seed corpora (fuzz/corpus/<target>/)
if (args is ["seed", var folder])
{
    await Targets.WriteSeedsAsync(folder);
    return 0;
}

if (args is ["replay", var name, var path] && Targets.All.TryGetValue(name, out var replayed))
{
    var files = Directory.Exists(path) ? Directory.GetFiles(path, "*", SearchOption.AllDirectories) : [path];
    int failed = 0;
    foreach (var file in files.Order(StringComparer.Ordinal))
    {
        try
        {
            replayed(File.ReadAllBytes(file));
        }
        catch (Exception e)
        {
            failed++;
            Console.WriteLine($"{file}: {e.GetType().Name}: {e.Message}");
            Console.WriteLine(e.StackTrace);
        }
    }

    Console.WriteLine($"{files.Length} inputs, {failed} findings");
    return failed == 0 ? 0 : 1;
}

if (args is [var target] && Targets.All.TryGetValue(target, out var harness))
{
    Fuzzer.OutOfProcess.Run(stream =>
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        harness(buffer.ToArray());
    });
    return 0;
}

Console.Error.WriteLine($"usage: Coffer.Fuzz TARGET | replay TARGET PATH | seed FOLDER; targets: {string.Join(", ", Targets.All.Keys)}");
return 2;
