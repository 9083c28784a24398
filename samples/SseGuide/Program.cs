using SseGuide;

// Walks through the COS "server-side encryption" SDK guide, one step per code block, against
// the server named on the command line. Exit code 0 only when every step passes.
try
{
    var options = GuideOptions.Parse(args);
    if (options is null)
    {
        Console.WriteLine(GuideOptions.Usage);
        return 0;
    }

    var (_, failed) = await new Guide(options, Console.Out).RunAsync();
    return failed == 0 ? 0 : 1;
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(GuideOptions.Usage);
    return 2;
}
