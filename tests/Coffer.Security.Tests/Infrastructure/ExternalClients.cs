using System.Diagnostics;

namespace Coffer.Security.Tests.Infrastructure;

/// <summary>
/// Runs the third-party clients of the client proofs (boto3 under python3, the COS Node.js SDK
/// under node) as they are installed by .ci/install-deps. A missing client fails the test with
/// what to install: never a silent skip.
/// </summary>
public static class ExternalClients
{
    private static readonly Lazy<string> PythonWithBoto3 = new(FindPython);

    /// <summary>The folder of this test project in the source tree (scripts live beside the tests).</summary>
    public static string ProjectFolder { get; } = FindProjectFolder();

    /// <summary>A python3 that can import boto3: $COFFER_PYTHON, python3 on PATH, or /usr/bin/python3 (Debian's python3-boto3).</summary>
    public static string Python => PythonWithBoto3.Value;

    /// <summary>node, with the cos-node folder's packages installed (npm ci, by .ci/install-deps).</summary>
    public static string NodeFolder
    {
        get
        {
            string folder = Path.Combine(ProjectFolder, "cos-node");
            if (!Directory.Exists(Path.Combine(folder, "node_modules", "cos-nodejs-sdk-v5")))
            {
                throw new InvalidOperationException($"cos-nodejs-sdk-v5 is not installed in {folder}: run .ci/install-deps (npm ci there).");
            }

            return folder;
        }
    }

    /// <summary>Runs a program to its end (bounded: a hung client fails rather than blocking the run).</summary>
    public static async Task<(int Code, string Out, string Err)> RunAsync(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string> env, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? ProjectFolder,
        };
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (name, value) in env)
        {
            start.Environment[name] = value;
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{program} is not installed: run .ci/install-deps.", e);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish within 5 minutes.");
            }

            return (process.ExitCode, await output, await error);
        }
    }

    private static string FindPython()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("COFFER_PYTHON") is { Length: > 0 } configured)
        {
            candidates.Add(configured);
        }

        candidates.Add("python3");
        candidates.Add("/usr/bin/python3");
        var tried = new List<string>();
        foreach (string candidate in candidates)
        {
            try
            {
                var (code, _, err) = RunAsync(candidate, ["-c", "import boto3"], new Dictionary<string, string>()).GetAwaiter().GetResult();
                if (code == 0)
                {
                    return candidate;
                }

                tried.Add($"{candidate}: {err.Trim().Split('\n')[^1]}");
            }
            catch (InvalidOperationException)
            {
                tried.Add($"{candidate}: not found");
            }
        }

        throw new InvalidOperationException("No python3 can import boto3 (" + string.Join("; ", tried) +
            "): run .ci/install-deps (Debian package python3-boto3), or set COFFER_PYTHON.");
    }

    private static string FindProjectFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "Coffer.Security.Tests");
            if (File.Exists(Path.Combine(candidate, "Coffer.Security.Tests.csproj")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("Cannot find tests/Coffer.Security.Tests above " + AppContext.BaseDirectory);
    }
}
