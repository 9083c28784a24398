using System.Text.Json.Nodes;
using Coffer.Server.Audit;
using Coffer.Server.Pipeline;

namespace Coffer.Server.Kms;

public static partial class KmsApi
{
    /// <summary>One API call: the request, and what its audit entry will say.</summary>
    private sealed class Call(RequestContext ctx, CofferServices s, string operation)
    {
        private readonly SortedSet<string> _contextKeys = new(StringComparer.Ordinal);

        public RequestContext Ctx { get; } = ctx;

        public CofferServices S { get; } = s;

        public string Operation { get; } = operation;

        public JsonObject Input { get; set; } = [];

        /// <summary>The key id once resolved; until then the reference the request gave.</summary>
        public string? KeyId { get; set; }

        public int? KeyVersion { get; set; }

        public string? SourceKeyId { get; set; }

        /// <summary>An encryption context of the request; its names (never values) go to the audit entry.</summary>
        public Dictionary<string, string> Context(string field)
        {
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            if (Input[field] is JsonObject context)
            {
                foreach (var (name, value) in context)
                    result[name] = value?.GetValue<string>() ?? throw new KmsApiException(KmsErrorType.Validation, $"{field} value of '{name}' must be a string.");
            }
            _contextKeys.UnionWith(result.Keys);
            return result;
        }

        public KmsAuditEntry ToAuditEntry(KmsErrorType? error) => new()
        {
            Source = "kms",
            Principal = Ctx.User?.Name,
            AccessKeyId = Ctx.Identity?.AccessKeyId,
            RequestId = Ctx.RequestId,
            Operation = Operation.Length is > 0 and <= 64 && Operation.All(char.IsAsciiLetterOrDigit) ? Operation : "Unknown",
            KeyId = KeyId,
            KeyVersion = KeyVersion,
            SourceKeyId = SourceKeyId,
            ContextKeys = _contextKeys.Count > 0 ? [.. _contextKeys] : null,
            Outcome = error is null ? KmsAuditEntry.Ok : KmsAuditEntry.Failed,
            Error = error?.Type,
        };
    }
}
