using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Coffer.Cli.Tests.Infrastructure;

namespace Coffer.Cli.Tests;

/// <summary>
/// What a person sees: coffer cp in a real terminal (tmux, 120×30) draws a progress bar with a rate; with stdout
/// redirected to a file the file holds the result line only, without escape sequences or progress lines.
/// </summary>
[Collection(TransferServerCollection.Name)]
public sealed partial class TerminalTests(CliServerFixture f)
{
    private const long Size = 64L * 1024 * 1024;

    /// <summary>A bar drawn by Spectre.Console ("━"), a percentage and a rate such as "212.4 MiB/s".</summary>
    [GeneratedRegex(@"━+.*\d+%.*\d+(\.\d)? (Bytes|KiB|MiB|GiB)/s")]
    private static partial Regex ProgressLine();

    [Fact]
    public async Task Cp_in_a_terminal_draws_a_progress_bar_with_a_rate()
    {
        var bucket = await f.CreateBucketAsync("tty");
        var file = f.RandomFile(Size, "tty");
        var (captures, exitCode) = await RunInTmuxAsync($"{Quote("dotnet")} {Quote(CofferProcess.Dll)} cp {Quote(file)} cos://{bucket}/big.bin --sse AES256");

        Assert.True(exitCode == 0, "coffer cp failed in tmux:\n" + captures[^1]);
        Assert.Contains(captures, c => ProgressLine().IsMatch(c));
        Assert.Contains($"upload: {file} to cos://{bucket}/big.bin", captures[^1]);
        File.Delete(file);
    }

    [Fact]
    public async Task Cp_with_stdout_redirected_to_a_file_writes_no_escape_sequences_and_no_progress()
    {
        var bucket = await f.CreateBucketAsync("redirect");
        var file = f.RandomFile(Size, "redirect");
        var output = f.NewPath("stdout") + ".txt";
        var (captures, exitCode) = await RunInTmuxAsync($"{Quote("dotnet")} {Quote(CofferProcess.Dll)} cp {Quote(file)} cos://{bucket}/big.bin --sse AES256 > {Quote(output)}");

        Assert.True(exitCode == 0, "coffer cp failed in tmux:\n" + captures[^1]);
        var written = await File.ReadAllTextAsync(output);
        Assert.Equal($"upload: {file} to cos://{bucket}/big.bin\n", written);
        Assert.DoesNotContain('\u001b', written);
        Assert.DoesNotContain(captures, c => c.Contains('━'));
        File.Delete(file);
    }

    /// <summary>
    /// Runs a shell command line in a new tmux server of its own (its own socket, 120×30), with this fixture's COFFER_*
    /// environment, and captures the pane every 50 ms until the command has finished. Returns the captures and the exit code.
    /// </summary>
    private async Task<(List<string> Captures, int ExitCode)> RunInTmuxAsync(string commandLine)
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var socket = Path.Combine(f.WorkDirectory, $"tmux-{id}.sock");
        var done = Path.Combine(f.WorkDirectory, $"done-{id}");
        var script = Path.Combine(f.WorkDirectory, $"run-{id}.sh");
        var text = new StringBuilder("cd " + Quote(f.WorkDirectory) + "\n");
        foreach (var (name, value) in f.Env())
            text.Append("export ").Append(name).Append('=').Append(Quote(value!)).Append('\n');
        text.Append(commandLine).Append('\n');
        text.Append("echo $? > ").Append(Quote(done)).Append('\n');
        text.Append("sleep 120\n");
        await File.WriteAllTextAsync(script, text.ToString());

        await TmuxAsync(socket, "new-session", "-d", "-x", "120", "-y", "30", "-s", "coffer", "bash " + Quote(script));
        var captures = new List<string>();
        try
        {
            var clock = Stopwatch.StartNew();
            while (!File.Exists(done) || (await File.ReadAllTextAsync(done)).Trim().Length == 0)
            {
                if (clock.Elapsed > TimeSpan.FromMinutes(2))
                    throw new Xunit.Sdk.XunitException("the command did not finish in tmux:\n" + (captures.LastOrDefault() ?? ""));
                captures.Add(await TmuxAsync(socket, "capture-pane", "-p", "-t", "coffer"));
                await Task.Delay(50);
            }
            captures.Add(await TmuxAsync(socket, "capture-pane", "-p", "-t", "coffer"));
            return (captures, int.Parse((await File.ReadAllTextAsync(done)).Trim(), System.Globalization.CultureInfo.InvariantCulture));
        }
        finally
        {
            await TmuxAsync(socket, "kill-server");
        }
    }

    private static async Task<string> TmuxAsync(string socket, params string[] args)
    {
        var start = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-S");
        start.ArgumentList.Add(socket);
        foreach (var a in args)
            start.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("tmux is not installed: run .ci/install-deps (Debian package tmux).", e);
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            if (process.ExitCode != 0 && args[0] != "kill-server")
                throw new InvalidOperationException($"tmux {string.Join(' ', args)} failed: {await error}");
            return await output;
        }
    }

    private static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
