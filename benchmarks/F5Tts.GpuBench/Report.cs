using System.Globalization;
using System.Text;
using System.Text.Json;

namespace F5Tts.GpuBench;

/// <summary>Latency summaries and the one-line JSON report.</summary>
internal static class Report
{
    public static Stats Summary(List<double> values)
    {
        if (values.Count == 0)
        {
            return new Stats(double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, 0);
        }

        var sorted = values.Order().ToArray();
        return new Stats(Percentile(sorted, 50), Percentile(sorted, 95), values.Average(), sorted[0], sorted[^1], values.Count);
    }

    /// <summary>Linear interpolation between closest ranks (numpy's default), so both harnesses agree.</summary>
    private static double Percentile(double[] sorted, double p)
    {
        var pos = (sorted.Length - 1) * p / 100;
        var lo = (int)Math.Floor(pos);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + ((sorted[hi] - sorted[lo]) * (pos - lo));
    }

    public static string ToJson(Dictionary<string, object?> root)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            Write(w, root);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void Write(Utf8JsonWriter w, object? value)
    {
        switch (value)
        {
            case null:
                w.WriteNullValue();
                break;
            case string s:
                w.WriteStringValue(s);
                break;
            case bool b:
                w.WriteBooleanValue(b);
                break;
            case int i:
                w.WriteNumberValue(i);
                break;
            case double d:
                if (double.IsFinite(d))
                {
                    w.WriteNumberValue(Math.Round(d, 4));
                }
                else
                {
                    w.WriteNullValue();
                }

                break;
            case Stats st:
                Write(w, new Dictionary<string, object?> { ["p50"] = st.P50, ["p95"] = st.P95, ["mean"] = st.Mean, ["min"] = st.Min, ["max"] = st.Max, ["n"] = st.Count });
                break;
            case Dictionary<string, object?> dict:
                w.WriteStartObject();
                foreach (var (k, v) in dict)
                {
                    w.WritePropertyName(k);
                    Write(w, v);
                }

                w.WriteEndObject();
                break;
            case System.Collections.IEnumerable list:
                w.WriteStartArray();
                foreach (var v in list)
                {
                    Write(w, v);
                }

                w.WriteEndArray();
                break;
            default:
                w.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }
}

/// <summary>Latency summary in milliseconds.</summary>
internal readonly record struct Stats(double P50, double P95, double Mean, double Min, double Max, int Count);
