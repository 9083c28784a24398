using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Coffer.Storage.Tests.Contracts;

/// <summary>
/// A test of a contract suite: an abstract class whose tests run once per backend subclass. A
/// subclass marked <see cref="NeedsEnginesAttribute"/> runs them only when its engine is
/// configured; outside CI they are skipped otherwise, and under <c>CI=true</c> they run and fail
/// (<see cref="Engines"/>).
/// </summary>
[XunitTestCaseDiscoverer("Coffer.Storage.Tests.Contracts.ContractFactDiscoverer", "Coffer.Storage.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class ContractFactAttribute : FactAttribute;

/// <summary>The environment variables (of <see cref="Engines"/>) that a contract subclass's backend needs.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class NeedsEnginesAttribute(params string[] variables) : Attribute
{
    public IReadOnlyList<string> Variables { get; } = variables;
}

/// <summary>Finds <see cref="ContractFactAttribute"/> tests, skipping them in a class whose engines are missing.</summary>
public sealed class ContractFactDiscoverer(IMessageSink diagnostics) : IXunitTestCaseDiscoverer
{
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        var type = (testMethod.TestClass.Class as IReflectionTypeInfo)?.Type;
        var variables = type?.GetCustomAttributes<NeedsEnginesAttribute>(inherit: true).SelectMany(a => a.Variables).ToArray() ?? [];
        var skip = variables.Length == 0 ? null : Engines.SkipReason(variables);
        if (skip is not null)
        {
            yield return new XunitSkippedDataRowTestCase(diagnostics, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, skip);
            yield break;
        }
        yield return new XunitTestCase(diagnostics, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod);
    }
}
