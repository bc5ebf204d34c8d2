using System.Numerics;

namespace F5Tts.Inference.Audio;

/// <summary>
/// Band-limited sample-rate converter: a Kaiser-windowed sinc low-pass evaluated at the exact fractional input
/// position of every output sample (Smith's "bandlimited interpolation"), so any pair of integer rates works,
/// including unusual ones such as 44 099 Hz. Streaming: feed blocks with <see cref="Process"/> and call
/// <see cref="Flush"/> once at the end; the output is time-aligned with the input (zero-phase, no added delay) and
/// has exactly <c>ceil(n · out / in)</c> samples for <c>n</c> input samples. Not thread-safe.
/// </summary>
/// <remarks>
/// Design (docs/audio.md#resampler): 32 zero crossings each side, Kaiser β = 9 (≈ 90 dB side lobes), cut-off at
/// 0.91 × the lower Nyquist frequency, so the transition band ends just below the new Nyquist frequency and the
/// pass band is flat (&lt; 0.1 dB) up to about 0.83 × Nyquist. The kernel is tabulated with 512 points per zero
/// crossing and linearly interpolated (interpolation error below −100 dB).
/// </remarks>
public sealed class SincResampler
{
    private const int ZeroCrossings = 32;
    private const int TableResolution = 512;
    private const double KaiserBeta = 9.0;
    private const double Rolloff = 0.91;
    private const long MaxBankSize = 1 << 20; // floats; rates with more phases (e.g. 44 099 Hz) use the table directly

    // Immutable after the type initialiser: the half kernel sinc(u)·kaiser(u/Z) for u in [0, Z], plus one zero.
    private static readonly float[] Kernel = BuildKernel();

    private readonly long _num;   // input samples per output sample = _num / _den (reduced fraction)
    private readonly long _den;
    private readonly double _scale;      // cut-off relative to the input Nyquist frequency
    private readonly double _halfWidth;  // kernel half width in input samples
    private readonly bool _passThrough;
    private readonly float[]? _bank;     // polyphase weights [phase][tap] when the phase count is small
    private readonly int _taps;

    private float[] _buffer = new float[4096];
    private int _buffered;        // valid samples in _buffer
    private long _bufferStart;    // absolute input index of _buffer[0]
    private long _inputCount;     // absolute number of input samples received
    private long _nextOutput;     // absolute index of the next output sample
    private bool _flushed;

    public SincResampler(int inputRate, int outputRate)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputRate, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputRate, 1);
        InputRate = inputRate;
        OutputRate = outputRate;
        long g = Gcd(inputRate, outputRate);
        _num = inputRate / g;
        _den = outputRate / g;
        _passThrough = inputRate == outputRate;
        _scale = Rolloff * Math.Min(1.0, (double)outputRate / inputRate);
        _halfWidth = ZeroCrossings / _scale;
        _taps = 2 * ((int)Math.Ceiling(_halfWidth) + 1);
        if (!_passThrough && _den * _taps <= MaxBankSize)
        {
            _bank = BuildBank();
        }
    }

    public int InputRate { get; }

    public int OutputRate { get; }

    /// <summary>Resamples a whole clip in one call.</summary>
    public static float[] Resample(ReadOnlySpan<float> input, int inputRate, int outputRate)
    {
        if (inputRate == outputRate)
        {
            return input.ToArray();
        }

        var resampler = new SincResampler(inputRate, outputRate);
        var head = resampler.Process(input);
        var tail = resampler.Flush();
        var result = new float[head.Length + tail.Length];
        head.CopyTo(result, 0);
        tail.CopyTo(result, head.Length);
        return result;
    }

    /// <summary>Number of output samples a clip of <paramref name="inputSamples"/> samples turns into.</summary>
    public static long OutputLength(long inputSamples, int inputRate, int outputRate) =>
        inputRate == outputRate ? inputSamples : (inputSamples * outputRate + inputRate - 1) / inputRate;

    /// <summary>Consumes a block and returns every output sample whose support is now complete.</summary>
    public float[] Process(ReadOnlySpan<float> input)
    {
        if (_flushed)
        {
            throw new InvalidOperationException("The resampler was already flushed.");
        }

        if (_passThrough)
        {
            _inputCount += input.Length;
            return input.ToArray();
        }

        Append(input);
        return Produce(final: false);
    }

    /// <summary>Ends the stream: returns the remaining output, treating the input after its end as silence.</summary>
    public float[] Flush()
    {
        if (_flushed)
        {
            return [];
        }

        _flushed = true;
        return _passThrough ? [] : Produce(final: true);
    }

    private void Append(ReadOnlySpan<float> input)
    {
        if (_buffered + input.Length > _buffer.Length)
        {
            var bigger = new float[Math.Max(_buffer.Length * 2, _buffered + input.Length)];
            Array.Copy(_buffer, bigger, _buffered);
            _buffer = bigger;
        }

        input.CopyTo(_buffer.AsSpan(_buffered));
        _buffered += input.Length;
        _inputCount += input.Length;
    }

    private float[] Produce(bool final)
    {
        // Output k sits at input position t = k·num/den. Without the end of the stream it can be computed once
        // every input sample within the kernel's half width after t has arrived.
        long available;
        if (final)
        {
            available = (_inputCount * _den + _num - 1) / _num; // outputs with t < inputCount
        }
        else
        {
            double lastUsable = _inputCount - 1 - Math.Ceiling(_halfWidth);
            available = lastUsable < 0 ? 0 : (long)Math.Floor(lastUsable * _den / _num) + 1;
        }

        int count = (int)Math.Max(0, available - _nextOutput);
        var output = new float[count];
        if (_bank is not null)
        {
            ProducePolyphase(output);
        }
        else
        {
            ProduceDirect(output);
        }

        _nextOutput += count;

        // Drop input that no future output can reach.
        double nextT = (double)_nextOutput * _num / _den;
        long keepFrom = Math.Max(_bufferStart, (long)Math.Floor(nextT - _halfWidth) - 1);
        int drop = (int)Math.Min(keepFrom - _bufferStart, _buffered);
        if (drop > 0)
        {
            Array.Copy(_buffer, drop, _buffer, 0, _buffered - drop);
            _buffered -= drop;
            _bufferStart += drop;
        }

        return output;
    }

    // Fast path: output k uses phase (k·num mod den), whose weights are precomputed; a plain dot product remains.
    private void ProducePolyphase(float[] output)
    {
        var bank = _bank!;
        int half = _taps / 2;
        for (int j = 0; j < output.Length; j++)
        {
            long m = (_nextOutput + j) * _num;
            long start = (m / _den) - half + 1;
            int phase = (int)(m % _den);
            int first = (int)Math.Max(0, _bufferStart - start);
            int last = (int)Math.Min(_taps - 1, _inputCount - 1 - start);
            int offset = (int)(start - _bufferStart);
            output[j] = last < first ? 0f : Dot(
                bank.AsSpan((phase * _taps) + first, last - first + 1),
                _buffer.AsSpan(offset + first, last - first + 1));
        }
    }

    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var acc = Vector<float>.Zero;
        int i = 0;
        for (; i <= a.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            acc += new Vector<float>(a[i..]) * new Vector<float>(b[i..]);
        }

        float sum = Vector.Sum(acc);
        for (; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    private float[] BuildBank()
    {
        int half = _taps / 2;
        var bank = new float[_den * _taps];
        double i0Beta = BesselI0(KaiserBeta);
        for (int p = 0; p < _den; p++)
        {
            double frac = (double)p / _den;
            for (int i = 0; i < _taps; i++)
            {
                double u = Math.Abs(frac - (i - half + 1)) * _scale; // distance in zero crossings
                if (u >= ZeroCrossings)
                {
                    continue;
                }

                double sinc = u == 0 ? 1.0 : Math.Sin(Math.PI * u) / (Math.PI * u);
                double r = u / ZeroCrossings;
                double window = BesselI0(KaiserBeta * Math.Sqrt(Math.Max(0, 1 - (r * r)))) / i0Beta;
                bank[(p * _taps) + i] = (float)(_scale * sinc * window);
            }
        }

        return bank;
    }

    private void ProduceDirect(float[] output)
    {
        int count = output.Length;
        var table = Kernel;
        double tableScale = _scale * TableResolution;
        for (int j = 0; j < count; j++)
        {
            long k = _nextOutput + j;
            long whole = k * _num / _den;
            double t = whole + (double)(k * _num % _den) / _den;
            long first = Math.Max((long)Math.Ceiling(t - _halfWidth), _bufferStart);
            long last = Math.Min((long)Math.Floor(t + _halfWidth), _inputCount - 1);
            double acc = 0;
            for (long i = first; i <= last; i++)
            {
                double pos = Math.Abs(t - i) * tableScale;
                int idx = (int)pos;
                if (idx >= table.Length - 1)
                {
                    continue;
                }

                double frac = pos - idx;
                double h = table[idx] + (frac * (table[idx + 1] - table[idx]));
                acc += h * _buffer[i - _bufferStart];
            }

            output[j] = (float)(acc * _scale);
        }
    }

    private static float[] BuildKernel()
    {
        int n = ZeroCrossings * TableResolution;
        var table = new float[n + 2];
        double i0Beta = BesselI0(KaiserBeta);
        for (int j = 0; j <= n; j++)
        {
            double u = (double)j / TableResolution;
            double sinc = j == 0 ? 1.0 : Math.Sin(Math.PI * u) / (Math.PI * u);
            double r = u / ZeroCrossings;
            double window = BesselI0(KaiserBeta * Math.Sqrt(Math.Max(0, 1 - (r * r)))) / i0Beta;
            table[j] = (float)(sinc * window);
        }

        return table; // table[n + 1] stays 0 so that interpolation at the edge is defined
    }

    private static double BesselI0(double x)
    {
        double sum = 1, term = 1, halfX = x / 2;
        for (int k = 1; k < 64; k++)
        {
            term *= halfX / k;
            double add = term * term;
            sum += add;
            if (add < sum * 1e-17)
            {
                break;
            }
        }

        return sum;
    }

    private static long Gcd(long a, long b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }

        return a;
    }
}
