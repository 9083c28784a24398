using System.CommandLine;
using Coffer.Cli.Tests.Infrastructure;

namespace Coffer.Cli.Tests;

/// <summary><c>--help</c> of every command says what it does and shows an example.</summary>
public sealed class HelpTests
{
    private static readonly Dictionary<string, string?> NoServer = new() { ["COFFER_CONFIG"] = "/nonexistent/coffer/config.json" };

    public static TheoryData<string> Commands()
    {
        var data = new TheoryData<string>();
        foreach (var path in Walk(CofferCli.CreateRootCommand(), []))
            data.Add(string.Join(' ', path));
        return data;
    }

    private static IEnumerable<string[]> Walk(Command command, string[] path)
    {
        yield return path;
        foreach (var sub in command.Subcommands)
        {
            foreach (var p in Walk(sub, [.. path, sub.Name]))
                yield return p;
        }
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void Every_command_explains_itself_with_an_example(string command)
    {
        var output = new StringWriter();
        var args = command.Split(' ', StringSplitOptions.RemoveEmptyEntries).Append("--help").ToArray();
        var exit = CofferCli.CreateRootCommand().Parse(args).Invoke(new InvocationConfiguration { Output = output });
        var help = output.ToString();
        Assert.Equal(0, exit);
        Assert.Contains("Usage:", help);
        Assert.Contains("Example", help);
        Assert.Contains("coffer " + command, help.Replace("  ", " "));
    }

    [Fact]
    public void The_command_list_has_every_command_of_the_issue()
    {
        var all = Walk(CofferCli.CreateRootCommand(), []).Select(path => string.Join(' ', path)).ToHashSet();
        string[] expected =
        [
            "config set", "config show", "mb", "rb", "ls", "cp", "mv", "rm", "stat", "cat", "restore", "presign",
            "encryption get", "encryption set", "encryption delete", "tag set", "tag get", "tag rm",
            "kms create-key", "kms list-keys", "kms describe-key", "kms enable", "kms disable", "kms schedule-deletion",
            "kms cancel-deletion", "kms rotate", "kms create-alias", "kms list-aliases", "kms audit",
            "serve", "admin user add", "admin rekey",
        ];
        Assert.All(expected, e => Assert.Contains(e, all));
    }

    [Fact]
    public async Task Coffer_help_as_a_process_lists_the_commands_and_exits_0()
    {
        var result = (await CofferProcess.RunAsync(NoServer, ["--help"])).Ok();
        foreach (var name in new[] { "config", "cp", "ls", "kms", "encryption", "restore", "presign", "serve" })
            Assert.Contains(name, result.Stdout);
        Assert.Contains("cos://", result.Stdout);
        Assert.Empty(result.Stderr);
    }

    [Theory]
    [InlineData("")]
    [InlineData("kms")]
    [InlineData("admin user")]
    public void A_list_of_commands_shows_one_line_each(string command)
    {
        var output = new StringWriter();
        var args = command.Split(' ', StringSplitOptions.RemoveEmptyEntries).Append("--help").ToArray();
        var root = CofferCli.CreateRootCommand();
        Assert.Equal(0, root.Parse(args).Invoke(new InvocationConfiguration { Output = output }));
        var lines = output.ToString().ReplaceLineEndings("\n").Split('\n');
        var commands = lines.SkipWhile(l => l != "Commands:").Skip(1).TakeWhile(l => l.Length > 0).ToList();
        var target = args.SkipLast(1).Aggregate((Command)root, (c, name) => c.Subcommands.Single(s => s.Name == name));
        Assert.Equal(target.Subcommands.Count, commands.Count);
        Assert.All(commands, l => Assert.Matches(@"^  \S", l));
    }

    [Fact]
    public async Task A_subcommand_help_as_a_process_shows_its_options_and_examples()
    {
        var result = (await CofferProcess.RunAsync(NoServer, ["cp", "--help"])).Ok();
        foreach (var option in new[] { "--recursive", "--sse", "--sse-kms-key-id", "--sse-context", "--sse-c-key", "--copy-source-sse-c-key", "--storage-class", "--json" })
            Assert.Contains(option, result.Stdout);
        Assert.Contains("Examples:", result.Stdout);
    }
}
