using Xunit;

namespace Coffer.Testing;

/// <summary>
/// The external engines some tests need (PostgreSQL, an S3-compatible store such as Ceph RGW),
/// found through environment variables that <c>.ci/run</c> and <c>scripts/engines/*.sh env</c> set.
/// Outside CI a test whose engine is not configured is skipped, saying which variable to set;
/// under <c>CI=true</c> it runs and fails, because a silent skip there would hide a missing engine.
/// </summary>
public static class Engines
{
    public const string PostgresVariable = "COFFER_TEST_POSTGRES";
    public const string S3EndpointVariable = "COFFER_TEST_S3_ENDPOINT";
    public const string S3AccessKeyVariable = "COFFER_TEST_S3_ACCESS_KEY";
    public const string S3SecretKeyVariable = "COFFER_TEST_S3_SECRET_KEY";

    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The Npgsql connection string of a server the tests may create databases on.</summary>
    public static string Postgres => Require(PostgresVariable);

    public static string S3Endpoint => Require(S3EndpointVariable);
    public static string S3AccessKey => Require(S3AccessKeyVariable);
    public static string S3SecretKey => Require(S3SecretKeyVariable);

    /// <summary>Why a test needing <paramref name="variables"/> is skipped here, or null to run it (always null under CI=true).</summary>
    public static string? SkipReason(params string[] variables)
    {
        if (InCi)
            return null;
        var missing = variables.Where(v => string.IsNullOrEmpty(Environment.GetEnvironmentVariable(v))).ToList();
        return missing.Count == 0 ? null : $"needs {string.Join(", ", missing)} (scripts/engines/*.sh start, then eval \"$(scripts/engines/*.sh env)\")";
    }

    private static string Require(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{variable} is not set: start the engine with scripts/engines and export its env (CI=true never skips such a test).");
}

/// <summary>A fact that needs PostgreSQL (<see cref="Engines.PostgresVariable"/>).</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute() => Skip = Engines.SkipReason(Engines.PostgresVariable);
}

/// <summary>A theory that needs PostgreSQL (<see cref="Engines.PostgresVariable"/>).</summary>
public sealed class PostgresTheoryAttribute : TheoryAttribute
{
    public PostgresTheoryAttribute() => Skip = Engines.SkipReason(Engines.PostgresVariable);
}

/// <summary>A fact that needs an S3-compatible store (<see cref="Engines.S3EndpointVariable"/> and its keys).</summary>
public sealed class S3FactAttribute : FactAttribute
{
    public S3FactAttribute() => Skip = Engines.SkipReason(Engines.S3EndpointVariable, Engines.S3AccessKeyVariable, Engines.S3SecretKeyVariable);
}

/// <summary>A theory that needs an S3-compatible store (<see cref="Engines.S3EndpointVariable"/> and its keys).</summary>
public sealed class S3TheoryAttribute : TheoryAttribute
{
    public S3TheoryAttribute() => Skip = Engines.SkipReason(Engines.S3EndpointVariable, Engines.S3AccessKeyVariable, Engines.S3SecretKeyVariable);
}
