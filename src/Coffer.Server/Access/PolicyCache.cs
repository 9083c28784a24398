using System.Collections.Concurrent;

namespace Coffer.Server.Access;

/// <summary>
/// Parsed bucket policies, keyed by bucket and policy text, so a policy is parsed once however many requests evaluate
/// it. Never stale: the bucket row (and so the current text) is read on every request, and a changed text is another
/// key. Bounded at <see cref="Capacity"/> entries; when full it is cleared (docs/caches-and-jobs.md).
/// </summary>
public sealed class PolicyCache
{
    /// <summary>The most policies kept.</summary>
    public const int Capacity = 1024;

    private readonly ConcurrentDictionary<(string Bucket, string Text), BucketPolicy> _parsed = new();

    /// <summary>The parsed form of <paramref name="text"/>, the policy of <paramref name="bucket"/>.</summary>
    /// <exception cref="Protocol.CofferException">MalformedPolicy: the text is not a valid policy (it is then not kept).</exception>
    public BucketPolicy Get(string bucket, string text)
    {
        if (_parsed.TryGetValue((bucket, text), out var policy))
            return policy;
        policy = PolicyParser.Parse(text, bucket);
        if (_parsed.Count >= Capacity)
            _parsed.Clear();
        _parsed[(bucket, text)] = policy;
        return policy;
    }

    /// <summary>How many policies are kept (tests).</summary>
    public int Count => _parsed.Count;
}
