using System.Diagnostics;
using System.Text.Json;

namespace Coffer.Cli.Tests.Infrastructure;

/// <summary>What one run of the <c>coffer</c> executable printed and returned.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr, byte[] StdoutBytes)
{
    /// <summary>Standard output parsed as JSON.</summary>
    public JsonElement Json
    {
        get
        {
            try
            {
                return JsonDocument.Parse(Stdout).RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new Xunit.Sdk.XunitException($"stdout is not JSON ({e.Message}):\n{Stdout}\nstderr:\n{Stderr}");
            }
        }
    }

    /// <summary>Asserts exit code 0 and returns this result.</summary>
    public CliResult Ok()
    {
        Assert.True(ExitCode == 0, Describe());
        return this;
    }

    /// <summary>Asserts the exit code and that stderr is exactly one line starting "coffer: "; returns that line.</summary>
    public string Fails(int exitCode)
    {
        Assert.True(ExitCode == exitCode, $"expected exit code {exitCode}. " + Describe());
        var lines = Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, "stderr is not one line: " + Describe());
        Assert.StartsWith("coffer: ", lines[0]);
        return lines[0];
    }

    public string Describe() => $"exit code {ExitCode}\n--- stdout:\n{Stdout}\n--- stderr:\n{Stderr}";
}

/// <summary>Runs the real <c>coffer</c> executable (<c>dotnet coffer.dll …</c>, copied here by the project reference).</summary>
public static class CofferProcess
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "coffer.dll");

    /// <summary>
    /// A start description: the test process's environment without any COFFER_* variable, then <paramref name="env"/>
    /// (a null value removes a variable).
    /// </summary>
    public static ProcessStartInfo StartInfo(IReadOnlyDictionary<string, string?> env, IEnumerable<string> args, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Dll);
        foreach (var a in args)
            start.ArgumentList.Add(a);
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("COFFER_", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(name);
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in env)
        {
            if (value is null)
                start.Environment.Remove(name);
            else
                start.Environment[name] = value;
        }
        return start;
    }

    /// <summary>Runs coffer to the end (at most 3 minutes) and collects what it printed.</summary>
    public static Task<CliResult> RunAsync(IReadOnlyDictionary<string, string?> env, IEnumerable<string> args, string? stdin = null, string? workingDirectory = null) =>
        RunCoreAsync(env, args, stdin is null ? null : input => input.WriteAsync(stdin), workingDirectory);

    /// <summary>Runs coffer to the end with <paramref name="stdin"/> as its standard input, byte for byte.</summary>
    public static Task<CliResult> RunWithInputAsync(IReadOnlyDictionary<string, string?> env, IEnumerable<string> args, byte[] stdin, string? workingDirectory = null) =>
        RunCoreAsync(env, args, input => input.BaseStream.WriteAsync(stdin).AsTask(), workingDirectory);

    private static async Task<CliResult> RunCoreAsync(IReadOnlyDictionary<string, string?> env, IEnumerable<string> args, Func<StreamWriter, Task>? writeInput, string? workingDirectory)
    {
        using var process = Process.Start(StartInfo(env, args, workingDirectory))!;
        var output = new MemoryStream();
        var copyOut = process.StandardOutput.BaseStream.CopyToAsync(output);
        var error = process.StandardError.ReadToEndAsync();
        if (writeInput is not null)
        {
            try
            {
                await writeInput(process.StandardInput);
                await process.StandardInput.BaseStream.FlushAsync();
            }
            catch (IOException)
            {
                // coffer stopped reading (it refused the command): its exit code and output tell why.
            }
        }
        try
        {
            process.StandardInput.Close();
        }
        catch (IOException)
        {
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"coffer {string.Join(' ', args)} did not finish in 3 minutes.");
        }
        await copyOut;
        var bytes = output.ToArray();
        return new CliResult(process.ExitCode, System.Text.Encoding.UTF8.GetString(bytes), await error, bytes);
    }
}
