using Coffer.Storage;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Coffer.Testing.Contracts;

/// <summary>
/// Marks a test class whose store needs an external engine: every <see cref="ContractFactAttribute"/> and
/// <see cref="ContractTheoryAttribute"/> test it inherits is skipped outside CI when the engine's variables
/// are unset (and runs, and fails, under <c>CI=true</c>), as <see cref="PostgresFactAttribute"/> does.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class RequiresEngineAttribute(params string[] variables) : Attribute
{
    public string[] Variables { get; } = variables;
}

/// <summary>A fact of a contract suite: skipped as its class's <see cref="RequiresEngineAttribute"/> says.</summary>
[XunitTestCaseDiscoverer("Coffer.Testing.Contracts.ContractFactDiscoverer", "Coffer.Testing")]
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class ContractFactAttribute : FactAttribute;

/// <summary>A theory of a contract suite: skipped as its class's <see cref="RequiresEngineAttribute"/> says.</summary>
[XunitTestCaseDiscoverer("Coffer.Testing.Contracts.ContractTheoryDiscoverer", "Coffer.Testing")]
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class ContractTheoryAttribute : TheoryAttribute;

/// <summary>A test case whose skip reason comes from the engine its class needs.</summary>
public sealed class EngineTestCase : XunitTestCase
{
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public EngineTestCase()
    {
    }

    public EngineTestCase(IMessageSink sink, TestMethodDisplay display, TestMethodDisplayOptions options, ITestMethod method)
        : base(sink, display, options, method)
    {
    }

    protected override string GetSkipReason(IAttributeInfo factAttribute) =>
        EngineSkip.For(TestMethod.TestClass.Class) ?? base.GetSkipReason(factAttribute);
}

internal static class EngineSkip
{
    public static string? For(ITypeInfo testClass)
    {
        var required = testClass.GetCustomAttributes(typeof(RequiresEngineAttribute)).FirstOrDefault();
        return required is null ? null : Engines.SkipReason(required.GetConstructorArguments().OfType<string[]>().SelectMany(v => v).ToArray());
    }
}

public sealed class ContractFactDiscoverer(IMessageSink sink) : FactDiscoverer(sink)
{
    protected override IXunitTestCase CreateTestCase(ITestFrameworkDiscoveryOptions options, ITestMethod method, IAttributeInfo factAttribute) =>
        new EngineTestCase(DiagnosticMessageSink, options.MethodDisplayOrDefault(), options.MethodDisplayOptionsOrDefault(), method);
}

public sealed class ContractTheoryDiscoverer(IMessageSink sink) : TheoryDiscoverer(sink)
{
    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions options, ITestMethod method, IAttributeInfo theoryAttribute) =>
        EngineSkip.For(method.TestClass.Class) is null
            ? base.Discover(options, method, theoryAttribute)
            : [new EngineTestCase(DiagnosticMessageSink, options.MethodDisplayOrDefault(), options.MethodDisplayOptionsOrDefault(), method)];
}
