using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Coffer.Testing;

/// <summary>
/// Keeps every log line (category, message, scopes and exception) the server writes, so tests can search them (for
/// secrets, say). A line logged inside a scope ends with " => " and each scope, as the text console shows them
/// (a request's scope: "RequestId:…").
/// </summary>
public sealed class CapturingLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<string> _lines = new();
    private IExternalScopeProvider? _scopes;

    public IReadOnlyCollection<string> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose() { }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes?.Push(state);
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = new StringBuilder($"{logLevel} {category}: {formatter(state, exception)} {exception}");
            owner._scopes?.ForEachScope((scope, sb) => sb.Append(" => ").Append(scope), line);
            owner._lines.Enqueue(line.ToString());
        }
    }
}
