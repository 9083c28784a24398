using System.CommandLine;
using Coffer.Cli;

return await CofferCli.RunAsync(args);

namespace Coffer.Cli
{
    /// <summary>The <c>coffer</c> command tree, and how a command line becomes an exit code.</summary>
    internal static class CofferCli
    {
        public static RootCommand CreateRootCommand()
        {
            var root = new RootCommand("""
                Coffer: an object store that encrypts everything it stores and speaks COS and S3, and its command line.

                Set up once (the server prints its access key and certificate path when it starts):
                  coffer config set --endpoint https://127.0.0.1:9443 --access-key AKID... --secret-key - --ca-file coffer-data/tls/cert.pem

                Examples:
                  coffer mb cos://photos
                  coffer cp ./photo.jpg cos://photos/ --sse cos/kms --sse-kms-key-id alias/photos
                  coffer ls cos://photos
                  coffer cp cos://photos/photo.jpg ./copy.jpg

                Remote paths are written cos://BUCKET/KEY. Exit codes: 0 ok, 1 failure, 2 usage, 3 not found,
                4 access denied. Every command has --help with examples.
                """)
            {
                GlobalOptions.Profile,
                ConfigCommand.Create(),
                CopyCommand.CreateCp(),
                CopyCommand.CreateMv(),
                EncryptionCommand.Create(),
                TagCommand.Create(),
                AclCommand.Create(),
                AclCommand.Ownership(),
                AclCommand.PublicAccessBlock(),
                LifecycleCommand.Create(),
                PolicyCommand.Create(),
                CorsCommand.Create(),
                KmsCommand.Create(),
                ServeCommand.Create(),
                AdminCommand.Create(),
            };
            foreach (var command in ObjectCommands.Create())
                root.Subcommands.Add(command);
            ListCommandsByFirstLine(root);
            return root;
        }

        /// <summary>In a list of subcommands, each shows the first line of its description; its own --help shows all of it.</summary>
        private static void ListCommandsByFirstLine(RootCommand root)
        {
            var option = root.Options.OfType<System.CommandLine.Help.HelpOption>().FirstOrDefault();
            if (option?.Action is System.CommandLine.Help.HelpAction help)
                option.Action = new ConciseHelpAction(help);
        }

        /// <summary>Parses and runs; a command line the parser refuses is one line on stderr and exit code 2.</summary>
        public static async Task<int> RunAsync(string[] args)
        {
            // No response files: "@FILE" is how --sse-c-key names a raw key file.
            var parse = CreateRootCommand().Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
            if (parse.Errors.Count > 0 && parse.Action is System.CommandLine.Invocation.ParseErrorAction)
            {
                var path = string.Join(' ', Path(parse.CommandResult.Command, parse.CommandResult.Parent));
                var errors = string.Join("; ", parse.Errors.Select(e => e.Message.TrimEnd('.')));
                Output.Error($"{errors}; see: coffer{(path.Length == 0 ? "" : " " + path)} --help");
                return ExitCodes.Usage;
            }
            return await parse.InvokeAsync();
        }

        private static IEnumerable<string> Path(Command command, System.CommandLine.Parsing.SymbolResult? parent)
        {
            var names = new List<string>();
            if (command is not RootCommand)
                names.Add(command.Name);
            for (var p = parent; p is not null; p = p.Parent)
            {
                if (p is System.CommandLine.Parsing.CommandResult { Command: not RootCommand } c)
                    names.Insert(0, c.Command.Name);
            }
            return names;
        }
    }

    /// <summary>
    /// The standard help, except that the list of subcommands shows the first line of each description (the rest, with
    /// its examples, is in the subcommand's own --help).
    /// </summary>
    internal sealed class ConciseHelpAction(System.CommandLine.Help.HelpAction inner) : System.CommandLine.Invocation.SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            var configuration = parseResult.InvocationConfiguration;
            var output = configuration.Output;
            var text = new StringWriter();
            configuration.Output = text;
            int exit;
            try
            {
                exit = inner.Invoke(parseResult);
            }
            finally
            {
                configuration.Output = output;
            }
            output.Write(Concise(text.ToString()));
            return exit;
        }

        /// <summary>Keeps, in the "Commands:" section, only each entry's first line.</summary>
        internal static string Concise(string help)
        {
            var result = new StringWriter();
            var inCommands = false;
            foreach (var line in help.ReplaceLineEndings("\n").Split('\n'))
            {
                if (line.Length > 0 && !char.IsWhiteSpace(line[0]))
                    inCommands = line == "Commands:";
                else if (inCommands && !(line.StartsWith("  ", StringComparison.Ordinal) && line.Length > 2 && !char.IsWhiteSpace(line[2])))
                    continue;
                result.WriteLine(line);
            }
            return result.ToString().TrimEnd() + Environment.NewLine + Environment.NewLine;
        }
    }
}
