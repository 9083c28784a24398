using System.CommandLine;
using Coffer.Cli;

var root = new RootCommand("Coffer: an object store that encrypts everything it stores and speaks COS and S3.")
{
    ServeCommand.Create(),
    AdminCommand.Create(),
    KmsCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
