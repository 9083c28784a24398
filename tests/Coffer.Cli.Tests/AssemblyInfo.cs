// Every test starts `coffer` processes; two at a time is what the build machines' two cores take.
[assembly: CollectionBehavior(MaxParallelThreads = 2)]

// File modes (0600 config files), tmux and SIGKILL make these tests Linux tests.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
