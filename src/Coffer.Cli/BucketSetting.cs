using System.CommandLine;

namespace Coffer.Cli;

/// <summary>
/// What the commands on one setting of a bucket share (<c>coffer policy</c>, <c>lifecycle</c>, <c>cors</c>,
/// <c>ownership</c>, <c>public-access-block</c>): the BUCKET argument that must not name an object, the optional FILE
/// argument read from disk or standard input, <c>--json</c>, and the hint target for errors.
/// </summary>
internal static class BucketSetting
{
    /// <summary>The BUCKET argument (cos://BUCKET).</summary>
    public static Argument<string> BucketArgument() => new("bucket") { Description = "The bucket (cos://BUCKET)." };

    /// <summary>The FILE argument of a <c>set</c> subcommand ('-' reads standard input): read it with <see cref="ConfigurationFile.ReadAsync"/>.</summary>
    public static Argument<string> FileArgument(string description) => new("file") { Description = description };

    /// <summary>
    /// Sets the action of <paramref name="command"/>, whose first argument is BUCKET and whose one flag is
    /// <c>--json</c>: it checks that BUCKET names no object and hands the bucket's name to <paramref name="action"/>.
    /// </summary>
    /// <param name="setting">What the setting is, for the message when BUCKET names an object ("a policy").</param>
    public static Command Wire(Command command, string setting, Func<Invocation, ParseResult, string, CancellationToken, Task> action)
    {
        var bucket = (Argument<string>)command.Arguments[0];
        var json = command.Options.OfType<Option<bool>>().Single();
        command.SetAction((parse, ct) => Output.RunAsync(parse, json, async (run, ct) =>
        {
            var text = parse.GetValue(bucket)!;
            var path = RemotePath.Parse(text);
            if (path.Key.Length > 0)
                throw new UsageException($"'{text}' names an object; {setting} belongs to a bucket (cos://{path.Bucket}).");
            run.Target = path;
            await action(run, parse, path.Bucket, ct);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    /// <summary>
    /// The <c>rm</c> subcommand: <paramref name="delete"/> removes the setting, then it prints
    /// "<paramref name="noun"/>: cos://BUCKET <paramref name="after"/>" (or <c>{"bucket", "deleted": true}</c>).
    /// </summary>
    public static Command Remove(string noun, string setting, string description, Func<Invocation, string, CancellationToken, Task> delete, string after) =>
        Wire(new Command("rm", description) { BucketArgument(), Output.JsonOption() }, setting, async (run, _, bucket, ct) =>
        {
            await delete(run, bucket, ct);
            if (run.Json)
                Output.WriteJson(new { bucket, deleted = true });
            else
                Console.WriteLine($"{noun}: cos://{bucket} {after}");
        });
}

/// <summary>A configuration file given on the command line: its name (or '-' for standard input) and its text.</summary>
internal sealed record ConfigurationFile(string Name, string Text)
{
    /// <summary>Reads the file ('-': standard input); one that cannot be read or is empty is a usage error.</summary>
    public static async Task<ConfigurationFile> ReadAsync(string name, CancellationToken ct)
    {
        string text;
        try
        {
            text = name == "-" ? await Console.In.ReadToEndAsync(ct) : await File.ReadAllTextAsync(name, ct);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"Cannot read the configuration file '{name}': {e.Message}");
        }
        if (string.IsNullOrWhiteSpace(text))
            throw new UsageException($"The configuration file '{name}' is empty.");
        return new ConfigurationFile(name, text);
    }

    /// <summary>Parses the text; a <see cref="FormatException"/> becomes a usage error naming the file.</summary>
    public T Parse<T>(Func<string, T> parse)
    {
        try
        {
            return parse(Text);
        }
        catch (FormatException e)
        {
            throw new UsageException($"'{Name}': {e.Message}");
        }
    }
}
