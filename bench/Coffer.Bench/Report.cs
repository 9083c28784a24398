using System.Globalization;
using System.Text.Json;

namespace Coffer.Bench;

/// <summary>Every figure of a run under a flat key that says what it is, printed as tables and optionally written as JSON.</summary>
internal sealed class Report
{
    private readonly List<(string Section, string Key, double Value, string Unit)> _rows = [];

    public void Add(string section, string key, double value, string unit) => _rows.Add((section, key, value, unit));

    public double? Get(string key) => _rows.FirstOrDefault(r => r.Key == key) is { Key: not null } row ? row.Value : null;

    public IEnumerable<string> Keys() => _rows.Select(r => r.Key);

    public string? SectionOf(string key) => _rows.FirstOrDefault(r => r.Key == key).Section;

    /// <summary>Adds key.ratio_to_X = value / reference when both exist.</summary>
    public void Ratio(string section, string key, string referenceKey, string ratioName)
    {
        if (Get(key) is { } value && Get(referenceKey) is { } reference && reference > 0)
            Add(section, Strip(key) + "." + ratioName, value / reference, "ratio");
    }

    private static string Strip(string key) => key[..key.LastIndexOf('.')];

    public void Print(TextWriter output)
    {
        foreach (var section in _rows.Select(r => r.Section).Distinct())
        {
            output.WriteLine();
            output.WriteLine($"## {section}");
            var rows = _rows.Where(r => r.Section == section).ToList();
            var width = rows.Max(r => r.Key.Length);
            output.WriteLine($"{"figure".PadRight(width)}  {"value",12}  unit");
            output.WriteLine($"{new string('-', width)}  {new string('-', 12)}  ----");
            foreach (var (_, key, value, unit) in rows)
                output.WriteLine($"{key.PadRight(width)}  {Format(value, unit),12}  {unit}");
        }
    }

    private static string Format(double value, string unit) => unit switch
    {
        "ratio" => value.ToString("0.00", CultureInfo.InvariantCulture),
        "ms" => value.ToString("0.000", CultureInfo.InvariantCulture),
        "s" => value.ToString("0.00", CultureInfo.InvariantCulture),
        "%" => value.ToString("0.000", CultureInfo.InvariantCulture),
        _ => value.ToString("0.0", CultureInfo.InvariantCulture),
    };

    public void WriteJson(string path)
    {
        var flat = _rows.ToDictionary(r => r.Key, r => Math.Round(r.Value, 4));
        File.WriteAllText(path, JsonSerializer.Serialize(flat, new JsonSerializerOptions { WriteIndented = true }));
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted.Length == 0 ? 0 : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    public static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p / 100 * sorted.Count) - 1)];
}
