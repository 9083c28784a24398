using System.Text.Json.Serialization;

namespace Coffer.Sdk.Internal;

/// <summary>Source-generated JSON for encryption contexts and checkpoints.</summary>
[JsonSourceGenerationOptions(WriteIndented = false)]
[JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
internal sealed partial class SdkJson : JsonSerializerContext
{
}
