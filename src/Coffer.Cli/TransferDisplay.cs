using System.Globalization;
using Coffer.Sdk;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Coffer.Cli;

/// <summary>
/// What a transfer command shows while it runs: a Spectre.Console progress bar per file with size, rate and time left
/// when standard output is a terminal; nothing but the result lines otherwise (no escape sequences, no progress lines).
/// </summary>
internal sealed class TransferDisplay
{
    private readonly ProgressContext? _context;
    private readonly IAnsiConsole? _console;
    private readonly Lock _lock = new();

    private TransferDisplay(ProgressContext? context, IAnsiConsole? console)
    {
        _context = context;
        _console = console;
    }

    /// <summary>Runs <paramref name="work"/> with progress bars when <paramref name="show"/>, else with a silent display.</summary>
    public static async Task<T> RunAsync<T>(bool show, Func<TransferDisplay, Task<T>> work)
    {
        if (!show)
            return await work(new TransferDisplay(null, null));
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Detect,
            ColorSystem = ColorSystemSupport.Detect,
            Interactive = InteractionSupport.Detect,
            Out = new AnsiConsoleOutput(Console.Out),
        });
        var progress = new Progress(console)
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(
                new TaskDescriptionColumn { Alignment = Justify.Left },
                new ProgressBarColumn(),
                new PercentageColumn(),
                new DownloadedColumn(),
                new RateColumn(),
                new TimeLeftColumn());
        return await progress.StartAsync(ctx => work(new TransferDisplay(ctx, console)));
    }

    /// <summary>A bar for one file; <paramref name="total"/> may be 0 when not known yet.</summary>
    public Bar Start(string description, long total)
    {
        if (_context is null)
            return new Bar(null, this);
        lock (_lock)
        {
            var task = _context.AddTask(Markup.Escape(description), autoStart: true, maxValue: Math.Max(total, 1));
            task.IsIndeterminate = total <= 0;
            return new Bar(task, this);
        }
    }

    /// <summary>Writes a result line ("upload: a to cos://b/a"): above the bars on a terminal, plainly otherwise.</summary>
    public void Line(string text)
    {
        if (_console is null)
        {
            Console.Out.WriteLine(text);
            return;
        }
        lock (_lock)
            _console.WriteLine(text);
    }

    /// <summary>One file's bar, fed by the SDK's progress callback (which may run on several threads).</summary>
    internal sealed class Bar(ProgressTask? task, TransferDisplay owner)
    {
        /// <summary>The SDK callback, or null when nothing is shown.</summary>
        public Action<TransferProgress>? Callback => task is null ? null : Report;

        public void Complete()
        {
            if (task is null)
                return;
            lock (owner._lock)
            {
                task.IsIndeterminate = false;
                task.Value = task.MaxValue;
                task.StopTask();
            }
        }

        private void Report(TransferProgress p)
        {
            lock (owner._lock)
            {
                if (p.TotalBytes > 0 && task!.MaxValue != p.TotalBytes)
                {
                    task.MaxValue = p.TotalBytes;
                    task.IsIndeterminate = false;
                }
                task!.Value = p.TransferredBytes;
                task.State.Update<double>(RateKey, _ => p.BytesPerSecond);
            }
        }
    }

    private const string RateKey = "rate";

    /// <summary>The rate the SDK measured for this run ("12.5 MiB/s"); it stays shown once the file is done.</summary>
    private sealed class RateColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        {
            var rate = task.State.Get<double>(RateKey);
            return new Text(rate > 0 ? Output.HumanSize((long)rate) + "/s" : "", new Style(Color.Aqua));
        }

        public override int? GetColumnWidth(RenderOptions options) => 14;
    }

    /// <summary>Time left at the SDK's rate ("ETA 00:01:05"); parts done by an earlier, resumed run count as done.</summary>
    private sealed class TimeLeftColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        {
            var rate = task.State.Get<double>(RateKey);
            if (task.IsFinished)
                return new Text("done", new Style(Color.Green));
            if (rate <= 0)
                return new Text("ETA --:--:--", new Style(Color.Grey));
            var left = TimeSpan.FromSeconds(Math.Min((task.MaxValue - task.Value) / rate, 359_999));
            return new Text("ETA " + left.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture), new Style(Color.Blue));
        }

        public override int? GetColumnWidth(RenderOptions options) => 12;
    }
}
