namespace F5Tts.Inference.Audio;

/// <summary>
/// Integrated loudness (ITU-R BS.1770-4, as EBU R128 uses it) and true peak of mono PCM, and normalisation to a target
/// loudness under a true-peak ceiling (docs/audio.md "Loudness"). Pure functions.
/// </summary>
public static class Loudness
{
    /// <summary>Loudness of silence or of audio too short for one 400 ms block.</summary>
    public const double Silent = double.NegativeInfinity;

    private const double AbsoluteGate = -70.0;
    private const double RelativeGate = -10.0;

    // True peak is read at 192 kHz (8× the model's rate): the rate ffmpeg's ebur128 filter measures at.
    private const int TruePeakRate = 192_000;

    /// <summary>
    /// Integrated loudness in LUFS: K-weighting (the standard's high shelf and high pass, designed for
    /// <paramref name="sampleRate"/>), mean square over 400 ms blocks every 100 ms, the absolute gate at −70 LUFS and the
    /// relative gate 10 LU below the loudness of the blocks above it. <see cref="Silent"/> when no block passes.
    /// </summary>
    public static double Integrated(ReadOnlySpan<float> samples, int sampleRate)
    {
        var weighted = KWeight(samples, sampleRate);
        var block = (int)(0.4 * sampleRate);
        var step = block / 4;
        if (weighted.Length < block)
        {
            return Silent;
        }

        var powers = new List<double>();
        for (var start = 0; start + block <= weighted.Length; start += step)
        {
            var sum = 0.0;
            for (var i = start; i < start + block; i++)
            {
                sum += weighted[i] * weighted[i];
            }

            powers.Add(sum / block);
        }

        var absolute = powers.Where(p => Lufs(p) > AbsoluteGate).ToList();
        if (absolute.Count == 0)
        {
            return Silent;
        }

        var threshold = Lufs(absolute.Average()) + RelativeGate;
        var gated = absolute.Where(p => Lufs(p) > threshold).ToList();
        return Lufs(gated.Average());
    }

    /// <summary>True peak in dBTP: the largest magnitude of the signal upsampled to 192 kHz (its samples included).</summary>
    public static double TruePeak(ReadOnlySpan<float> samples, int sampleRate)
    {
        var peak = 0.0;
        foreach (var s in Oversample(samples, sampleRate))
        {
            peak = Math.Max(peak, Math.Abs(s));
        }

        return peak > 0 ? 20 * Math.Log10(peak) : Silent;
    }

    /// <summary>
    /// Scales <paramref name="samples"/> (in place) to <paramref name="targetLufs"/> integrated loudness with the true
    /// peak held at or under <paramref name="ceilingDbtp"/>: a gain, then, where the gained signal's true peak would pass
    /// the ceiling, a smooth gain reduction around each such peak (5 ms either side, so no click), then the gain made up
    /// for what the reduction took, a few rounds until both hold. Silence and audio shorter than one block are left as
    /// they are. Returns the integrated loudness reached.
    /// </summary>
    public static double Normalize(float[] samples, int sampleRate, double targetLufs, double ceilingDbtp)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var ceiling = Math.Pow(10, (ceilingDbtp - 0.2) / 20); // 0.2 dB for interpolators that read peaks a little differently
        var original = (float[])samples.Clone();
        var gainDb = 0.0;
        var loudness = Integrated(samples, sampleRate);
        for (var round = 0; round < 6 && !double.IsNegativeInfinity(loudness); round++)
        {
            gainDb += targetLufs - loudness;
            var gain = (float)Math.Pow(10, gainDb / 20);
            for (var i = 0; i < samples.Length; i++)
            {
                samples[i] = original[i] * gain;
            }

            LimitPeaks(samples, sampleRate, ceiling);
            loudness = Integrated(samples, sampleRate);
            if (Math.Abs(loudness - targetLufs) < 0.05)
            {
                break;
            }
        }

        return loudness;
    }

    /// <summary>Reduces the gain smoothly wherever the true peak passes <paramref name="ceiling"/> (linear).</summary>
    private static void LimitPeaks(float[] samples, int sampleRate, double ceiling)
    {
        var factor = TruePeakRate / sampleRate;
        var up = Oversample(samples, sampleRate);
        var needed = new double[samples.Length];
        var any = false;
        for (var i = 0; i < samples.Length; i++)
        {
            var peak = 0.0;
            // The upsampled neighbourhood of sample i: its own position and the interpolated points around it.
            for (var k = Math.Max(0, (i * factor) - factor); k < Math.Min(up.Length, (i * factor) + factor); k++)
            {
                peak = Math.Max(peak, Math.Abs(up[k]));
            }

            needed[i] = peak > ceiling ? ceiling / peak : 1.0;
            any |= needed[i] < 1.0;
        }

        if (!any)
        {
            return;
        }

        // A moving minimum then a moving average over the same half-width: the average is never above the gain any
        // sample in reach needs, and it ramps over 2 × 5 ms instead of stepping.
        var half = Math.Max(1, sampleRate / 200);
        var floor = Sliding(needed, half, Math.Min);
        var gain = MovingAverage(floor, half);
        for (var i = 0; i < samples.Length; i++)
        {
            samples[i] = (float)(samples[i] * gain[i]);
        }
    }

    private static double[] Sliding(double[] values, int half, Func<double, double, double> pick)
    {
        var result = new double[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var v = values[i];
            for (var k = Math.Max(0, i - half); k <= Math.Min(values.Length - 1, i + half); k++)
            {
                v = pick(v, values[k]);
            }

            result[i] = v;
        }

        return result;
    }

    private static double[] MovingAverage(double[] values, int half)
    {
        var result = new double[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var (from, to) = (Math.Max(0, i - half), Math.Min(values.Length - 1, i + half));
            var sum = 0.0;
            for (var k = from; k <= to; k++)
            {
                sum += values[k];
            }

            result[i] = sum / (to - from + 1);
        }

        return result;
    }

    /// <summary>
    /// The signal at 192 kHz by full-band sinc interpolation (Kaiser-windowed, ±12 taps). Unlike the resampler of
    /// the response formats, it keeps everything up to Nyquist: content near Nyquist is where inter-sample peaks are.
    /// </summary>
    private static float[] Oversample(ReadOnlySpan<float> samples, int sampleRate)
    {
        if (sampleRate >= TruePeakRate || TruePeakRate % sampleRate != 0)
        {
            return SincResampler.Resample(samples, sampleRate, Math.Max(sampleRate, TruePeakRate));
        }

        const int Half = 12;
        var factor = TruePeakRate / sampleRate;
        var taps = new double[factor, 2 * Half];
        for (var p = 0; p < factor; p++)
        {
            for (var j = -Half + 1; j <= Half; j++)
            {
                var t = ((double)p / factor) - j;
                taps[p, j + Half - 1] = Sinc(t) * Kaiser(t / Half, 8.0);
            }
        }

        var output = new float[samples.Length * factor];
        for (var n = 0; n < samples.Length; n++)
        {
            output[n * factor] = samples[n];
            for (var p = 1; p < factor; p++)
            {
                var sum = 0.0;
                for (var j = Math.Max(-Half + 1, -n); j <= Math.Min(Half, samples.Length - 1 - n); j++)
                {
                    sum += samples[n + j] * taps[p, j + Half - 1];
                }

                output[(n * factor) + p] = (float)sum;
            }
        }

        return output;
    }

    private static double Sinc(double t) => t == 0 ? 1 : Math.Sin(Math.PI * t) / (Math.PI * t);

    private static double Kaiser(double x, double beta) => Math.Abs(x) >= 1 ? 0 : BesselI0(beta * Math.Sqrt(1 - (x * x))) / BesselI0(beta);

    private static double BesselI0(double x)
    {
        double sum = 1, term = 1;
        for (var k = 1; k < 40; k++)
        {
            term *= x / (2 * k) * (x / (2 * k));
            sum += term;
        }

        return sum;
    }

    private static double Lufs(double meanSquare) => meanSquare > 0 ? -0.691 + (10 * Math.Log10(meanSquare)) : Silent;

    /// <summary>The two K-weighting biquads of BS.1770-4, designed for the rate (the standard tabulates 48 kHz only).</summary>
    private static double[] KWeight(ReadOnlySpan<float> samples, int sampleRate)
    {
        // Pre-filter: high shelf, +4 dB above about 1.5 kHz (the head's effect).
        var shelf = Biquad.HighShelf(sampleRate, 1681.974450955533, 3.999843853973347, 0.7071752369554196);
        // RLB weighting: second-order high pass at about 38 Hz.
        var highPass = Biquad.HighPass(sampleRate, 38.13547087602444, 0.5003270373238773);
        var output = new double[samples.Length];
        for (var i = 0; i < samples.Length; i++)
        {
            output[i] = highPass.Next(shelf.Next(samples[i]));
        }

        return output;
    }

    /// <summary>A direct-form-I biquad with its state.</summary>
    private sealed class Biquad(double b0, double b1, double b2, double a1, double a2)
    {
        private double _x1;
        private double _x2;
        private double _y1;
        private double _y2;

        public static Biquad HighShelf(int rate, double f0, double gainDb, double q)
        {
            var k = Math.Tan(Math.PI * f0 / rate);
            var vh = Math.Pow(10, gainDb / 20);
            var vb = Math.Pow(vh, 0.4996667741545416);
            var a0 = 1 + (k / q) + (k * k);
            return new Biquad((vh + (vb * k / q) + (k * k)) / a0, 2 * ((k * k) - vh) / a0, (vh - (vb * k / q) + (k * k)) / a0,
                2 * ((k * k) - 1) / a0, (1 - (k / q) + (k * k)) / a0);
        }

        public static Biquad HighPass(int rate, double f0, double q)
        {
            var k = Math.Tan(Math.PI * f0 / rate);
            var a0 = 1 + (k / q) + (k * k);
            return new Biquad(1, -2, 1, 2 * ((k * k) - 1) / a0, (1 - (k / q) + (k * k)) / a0);
        }

        public double Next(double x)
        {
            var y = (b0 * x) + (b1 * _x1) + (b2 * _x2) - (a1 * _y1) - (a2 * _y2);
            (_x2, _x1, _y2, _y1) = (_x1, x, _y1, y);
            return y;
        }
    }
}
