using System.Text;

namespace F5Tts.Inference.Tests.Audio;

/// <summary>Signal generators/measurements and a runner for the real command-line tools (sox, ffmpeg, opus-tools).</summary>
internal static class AudioTestUtil
{
    public static float[] Sine(double frequency, double amplitude, double seconds, int rate)
    {
        var x = new float[(int)Math.Round(seconds * rate)];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)(amplitude * Math.Sin(2 * Math.PI * frequency * i / rate));
        }

        return x;
    }

    public static float[] Concat(params float[][] parts) => parts.SelectMany(p => p).ToArray();

    public static double Rms(ReadOnlySpan<float> x)
    {
        double s = 0;
        foreach (float v in x)
        {
            s += (double)v * v;
        }

        return Math.Sqrt(s / Math.Max(1, x.Length));
    }

    /// <summary>Amplitude of the <paramref name="frequency"/> component (Goertzel with a Hann window).</summary>
    public static double ToneAmplitude(ReadOnlySpan<float> x, double frequency, int rate)
    {
        double w = 2 * Math.PI * frequency / rate, coeff = 2 * Math.Cos(w);
        double s1 = 0, s2 = 0, windowSum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double win = 0.5 - (0.5 * Math.Cos(2 * Math.PI * i / (x.Length - 1)));
            windowSum += win;
            double s0 = (x[i] * win) + (coeff * s1) - s2;
            s2 = s1;
            s1 = s0;
        }

        double power = (s1 * s1) + (s2 * s2) - (coeff * s1 * s2);
        return 2 * Math.Sqrt(Math.Max(0, power)) / windowSum;
    }

    /// <summary>Frequency from positive-going zero crossings, with linear interpolation of each crossing.</summary>
    public static double ZeroCrossingFrequency(ReadOnlySpan<float> x, int rate)
    {
        double first = -1, last = -1;
        int crossings = 0;
        for (int i = 1; i < x.Length; i++)
        {
            if (x[i - 1] < 0 && x[i] >= 0)
            {
                double t = i - 1 + (x[i - 1] / (x[i - 1] - x[i]));
                if (first < 0)
                {
                    first = t;
                }
                else
                {
                    crossings++;
                }

                last = t;
            }
        }

        return crossings * rate / (last - first);
    }

    public static double Db(double ratio) => 20 * Math.Log10(ratio);

    public static string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "f5tts-audio-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Runs an external program (a missing one fails naming its Debian package, see ExternalTool).</summary>
    public static (int ExitCode, string StdOut, string StdErr) Run(string tool, params string[] args)
    {
        var result = ExternalTool.Run(tool, args, TimeSpan.FromSeconds(120));
        return (result.ExitCode, result.StdOut, result.StdErr);
    }

    public static string RunOk(string tool, params string[] args)
    {
        var (code, stdout, stderr) = Run(tool, args);
        Assert.True(code == 0, $"{tool} {string.Join(' ', args)} exited {code}: {stderr}");
        return stdout + stderr;
    }

    /// <summary>ffprobe's view of the first audio stream: codec, rate, channels, duration (s).</summary>
    public static (string Codec, int Rate, int Channels, double Duration) Probe(string path, params string[] inputArgs)
    {
        var args = new List<string> { "-v", "error" };
        args.AddRange(inputArgs);
        args.AddRange(["-select_streams", "a:0", "-show_entries", "stream=codec_name,sample_rate,channels,duration",
            "-of", "default=noprint_wrappers=1", path]);
        string output = RunOk("ffprobe", [.. args]);
        var kv = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        return (kv["codec_name"], int.Parse(kv["sample_rate"], System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(kv["channels"], System.Globalization.CultureInfo.InvariantCulture),
            double.Parse(kv["duration"], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Decodes any file with ffmpeg to mono float32 at <paramref name="rate"/>.</summary>
    public static float[] FfmpegDecode(string path, int rate, params string[] inputArgs)
    {
        string raw = path + ".f32";
        var args = new List<string> { "-v", "error", "-y" };
        args.AddRange(inputArgs);
        args.AddRange(["-i", path, "-f", "f32le", "-ac", "1", "-ar", rate.ToString(System.Globalization.CultureInfo.InvariantCulture), raw]);
        RunOk("ffmpeg", [.. args]);
        byte[] bytes = File.ReadAllBytes(raw);
        var x = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, x, 0, x.Length * 4);
        return x;
    }
}
