using Npgsql;

namespace Coffer.Storage.Postgres;

/// <summary>
/// Reads what <c>--metadata</c> / <c>COFFER_METADATA</c> give for PostgreSQL: a
/// <c>postgresql://</c> (or <c>postgres://</c>) URI as libpq writes them, or an Npgsql
/// connection string (<c>Host=…;Database=…</c>).
/// </summary>
public static class PostgresConnectionStrings
{
    /// <summary>Whether <paramref name="value"/> is a PostgreSQL URI (as opposed to a path or a connection string).</summary>
    public static bool IsUri(string value) =>
        value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Parses <c>postgresql://user:password@host:port/database?param=value&amp;…</c> or an Npgsql
    /// connection string. URI parameters are libpq's where Npgsql has them (<c>sslmode</c>,
    /// <c>application_name</c>, <c>connect_timeout</c>) and Npgsql keywords otherwise
    /// (<c>Maximum Pool Size</c>, …). User and password are percent-decoded.
    /// </summary>
    /// <exception cref="ArgumentException">The value is malformed or names an unknown setting; the message says which part (never the password).</exception>
    public static NpgsqlConnectionStringBuilder Parse(string uriOrConnectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(uriOrConnectionString);
        if (!IsUri(uriOrConnectionString))
        {
            try
            {
                return new NpgsqlConnectionStringBuilder(uriOrConnectionString);
            }
            catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException)
            {
                throw new ArgumentException($"Not a PostgreSQL URI (postgresql://user:password@host:5432/database) or Npgsql connection string: {e.Message}", nameof(uriOrConnectionString));
            }
        }

        if (!Uri.TryCreate(uriOrConnectionString, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new ArgumentException("Malformed PostgreSQL URI: expected postgresql://user:password@host:5432/database.", nameof(uriOrConnectionString));
        }
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.HostNameType == UriHostNameType.IPv6 ? uri.Host.Trim('[', ']') : uri.Host,
            Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port,
        };
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            builder.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0)
            {
                builder.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
            }
        }
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0)
        {
            builder.Database = database;
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
            var keyword = name.ToLowerInvariant() switch
            {
                "sslmode" => "SSL Mode",
                "application_name" => "Application Name",
                "connect_timeout" => "Timeout",
                "options" => "Options",
                "sslrootcert" => "Root Certificate",
                "sslcert" => "SSL Certificate",
                "sslkey" => "SSL Key",
                "target_session_attrs" => "Target Session Attributes",
                _ => name,
            };
            try
            {
                builder[keyword] = keyword == "SSL Mode" ? value.Replace("-", "", StringComparison.Ordinal) : value;
            }
            catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException or InvalidCastException)
            {
                throw new ArgumentException($"The PostgreSQL URI parameter '{name}' is not understood: {e.Message}", nameof(uriOrConnectionString));
            }
        }
        return builder;
    }
}
