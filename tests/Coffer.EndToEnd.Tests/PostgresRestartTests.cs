using System.Diagnostics;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Testing;
using Xunit.Abstractions;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// PostgreSQL restarted under load (docs/reliability.md): a PostgreSQL of the test's own (scripts/engines/postgres.sh
/// on port 55450 and a folder of its own — never the shared one), a Coffer server on it, clients writing and reading
/// through it, and PostgreSQL stopped, kept down a while and started again. While it is down every answer is a
/// clear 503 ServiceUnavailable (never a 500, never a partial object); afterwards every acknowledged write reads back
/// byte for byte and the same Coffer process takes writes again — no restart. Runs when COFFER_TEST_POSTGRES is set
/// (it needs the PostgreSQL binaries that the engine script uses, as CI installs them).
/// </summary>
public sealed class PostgresRestartTests(ITestOutputHelper output)
{
    private const int Port = 55450;

    [PostgresFact]
    public async Task A_postgres_restart_under_load_answers_503_while_down_loses_nothing_and_recovers_without_restarting_coffer()
    {
        var engineDir = Path.Combine(Path.GetTempPath(), "coffer-pg-restart-" + Guid.NewGuid().ToString("N"));
        var script = Path.Combine(RepositoryRoot(), "scripts", "engines", "postgres.sh");
        CofferFixture? f = null;
        try
        {
            Engine(script, engineDir, "start");
            Engine(script, engineDir, "createdb", "coffer_restart");
            f = new CofferFixture { Configure = o => o.Metadata = $"postgresql://postgres@127.0.0.1:{Port}/coffer_restart" };
            await f.InitializeAsync();
            using var cos = new CosRawClient(f);
            var bucket = CosRawClient.NewBucket();
            Assert.Equal(System.Net.HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket)).StatusCode);

            var workload = new FaultWorkload(f, bucket);
            using var stop = new CancellationTokenSource();
            var running = workload.RunAsync(clients: 4, stop.Token);
            await WaitForAsync(() => workload.Acknowledged.Count >= 40, TimeSpan.FromSeconds(60), "the workload's first 40 writes");

            workload.Phase = "postgres down";
            Engine(script, engineDir, "stop");
            var down = Stopwatch.StartNew();
            await WaitForAsync(() => workload.Count("postgres down", l => l.StartsWith("503", StringComparison.Ordinal)) >= 20, TimeSpan.FromSeconds(60),
                "20 answers of 503 while PostgreSQL is down");
            await Task.Delay(TimeSpan.FromSeconds(2));
            var ackedBeforeStart = workload.Acknowledged.Count;
            workload.Phase = "postgres starting";
            Engine(script, engineDir, "start");
            output.WriteLine($"PostgreSQL was down for {down.Elapsed.TotalSeconds:F1} s");

            workload.Phase = "after restart";
            await WaitForAsync(() => workload.Count("after restart", l => l == "200 PUT") >= 20, TimeSpan.FromSeconds(60),
                "20 acknowledged writes after PostgreSQL came back, without restarting Coffer");
            await stop.CancelAsync();
            await running;

            var verified = await workload.VerifyAsync();
            foreach (var line in workload.Summary())
                output.WriteLine(line);
            output.WriteLine($"{workload.Acknowledged.Count} writes acknowledged, {workload.Unacknowledged.Count} not; {verified} keys verified; anomalies: {workload.Anomalies.Count}");
            foreach (var anomaly in workload.Anomalies.Take(20))
                output.WriteLine(anomaly);

            Assert.Empty(workload.Anomalies);
            Assert.Equal(workload.Acknowledged.Count + workload.Unacknowledged.Count, verified);
            Assert.True(workload.Acknowledged.Count > ackedBeforeStart);
            // While it was down every request was answered, and each failure was a 503 ServiceUnavailable (a 200 is a
            // request that was done before PostgreSQL went).
            Assert.All(workload.Answers["postgres down"].Keys, label => Assert.True(label is "503 ServiceUnavailable" or "200 GET" or "200 PUT", label));
            Assert.Contains(f.Log.Lines, l => l.Contains("storage fault Unavailable", StringComparison.Ordinal));
        }
        finally
        {
            if (f is not null)
                await f.DisposeAsync();
            Engine(script, engineDir, "stop", check: false);
            try { Directory.Delete(engineDir, recursive: true); }
            catch (IOException) { }
        }
    }

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > timeout)
                throw new TimeoutException($"Waited {timeout.TotalSeconds} s for {what}.");
            await Task.Delay(50);
        }
    }

    private void Engine(string script, string dir, string command, string? argument = null, bool check = true)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(command);
        if (argument is not null)
            start.ArgumentList.Add(argument);
        start.Environment["COFFER_PG_DIR"] = dir;
        start.Environment["COFFER_PG_PORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var p = Process.Start(start)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        output.WriteLine($"postgres.sh {command}: {stdout.Trim()} {stderr.Result.Trim()}");
        if (check && p.ExitCode != 0)
            throw new InvalidOperationException($"postgres.sh {command} failed ({p.ExitCode}): {stderr.Result}");
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Coffer.slnx")))
                return dir.FullName;
        }
        throw new InvalidOperationException("The repository root (Coffer.slnx) was not found above " + AppContext.BaseDirectory);
    }
}
