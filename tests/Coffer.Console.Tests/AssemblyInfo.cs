// The browser tests share one Chromium and one server (a collection); the serving tests run beside them.
[assembly: CollectionBehavior(MaxParallelThreads = 2)]
