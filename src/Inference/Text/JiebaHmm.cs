using System.Text.Json;

namespace F5Tts.Inference.Text;

/// <summary>
/// The HMM half of <see cref="JiebaSegmenter"/>: Python jieba's <c>finalseg</c> (<c>cut</c>, <c>viterbi</c>) over the
/// BMES states, with jieba's start, transition and emission tables. Immutable after construction.
/// </summary>
internal sealed class JiebaHmm
{
    private const double MinFloat = -3.14e100;

    // finalseg/prob_start.py and prob_trans.py, copied from Python jieba: jieba.NET's prob_trans.json carries E→B
    // rounded to 15 digits (-0.589714973685451), which is a different double.
    private const double StartB = -0.26268660809250016;
    private const double StartS = -1.4652633398537678;
    private const double TransBE = -0.510825623765990, TransBM = -0.916290731874155;
    private const double TransEB = -0.5897149736854513, TransES = -0.8085250474669937;
    private const double TransME = -0.33344856811948514, TransMM = -1.2603623820268226;
    private const double TransSB = -0.7211965654669841, TransSS = -0.6658631448798212;

    private const int B = 0, E = 1, M = 2, S = 3; // ordered like the state letters, for Python's tuple tie-break

    private readonly double[][] _emit; // [state][char] log-probability, MinFloat where absent
    private readonly bool _python;

    /// <summary>Loads the embedded emission table; <paramref name="python"/>: Python jieba's tie-breaks, else jieba.NET's.</summary>
    public JiebaHmm(bool python)
    {
        _python = python;
        _emit = LoadEmission();
    }

    public static Stream OpenResource(string name) =>
        typeof(JiebaHmm).Assembly.GetManifestResourceStream(name)
        ?? throw new InvalidOperationException($"Embedded resource '{name}' is missing from {typeof(JiebaHmm).Assembly.GetName().Name}.");

    /// <summary>
    /// <c>finalseg.cut</c>: Han runs (U+4E00–U+9FD5) go through the Viterbi tagger; the rest is split by
    /// <c>re_skip = ([a-zA-Z0-9]+(?:\.\d+)?%?)</c>, yielding the matches and the non-empty pieces between them.
    /// </summary>
    public void FinalSegCut(ReadOnlySpan<char> s, int offset, List<Segment> result)
    {
        var i = 0;
        while (i < s.Length)
        {
            if (CharClasses.IsJiebaHan(s[i]))
            {
                var start = i;
                while (i < s.Length && CharClasses.IsJiebaHan(s[i]))
                {
                    i++;
                }

                Viterbi(s[start..i], offset + start, result);
                continue;
            }

            // A non-Han stretch: alternate "gap" pieces and re_skip matches.
            var gapStart = i;
            while (i < s.Length && !CharClasses.IsJiebaHan(s[i]))
            {
                if (char.IsAsciiLetterOrDigit(s[i]))
                {
                    if (i > gapStart)
                    {
                        result.Add(new Segment(offset + gapStart, i - gapStart));
                    }

                    var m = i;
                    while (m < s.Length && char.IsAsciiLetterOrDigit(s[m]))
                    {
                        m++;
                    }

                    // (?:\.\d+)? — inside a jieba block the only digits are ASCII.
                    if (m + 1 < s.Length && s[m] == '.' && char.IsAsciiDigit(s[m + 1]))
                    {
                        m += 2;
                        while (m < s.Length && char.IsAsciiDigit(s[m]))
                        {
                            m++;
                        }
                    }

                    if (m < s.Length && s[m] == '%')
                    {
                        m++;
                    }

                    result.Add(new Segment(offset + i, m - i));
                    i = m;
                    gapStart = i;
                }
                else
                {
                    i++;
                }
            }

            if (i > gapStart)
            {
                result.Add(new Segment(offset + gapStart, i - gapStart));
            }
        }
    }

    /// <summary>
    /// <c>finalseg.viterbi</c> + <c>__cut</c> over states BMES. Python picks <c>max((prob, state))</c>, so equal
    /// probabilities go to the later letter (S &gt; M &gt; E &gt; B); the final state is the better of E and S (S on a tie).
    /// </summary>
    private void Viterbi(ReadOnlySpan<char> obs, int offset, List<Segment> result)
    {
        var n = obs.Length;
        var back = new byte[n * 4];
        Span<double> v = stackalloc double[4];
        Span<double> nv = stackalloc double[4];
        v[B] = StartB + _emit[B][obs[0]];
        v[E] = MinFloat + _emit[E][obs[0]];
        v[M] = MinFloat + _emit[M][obs[0]];
        v[S] = StartS + _emit[S][obs[0]];
        for (var t = 1; t < n; t++)
        {
            var c = obs[t];
            // PrevStatus: B <- E,S; M <- M,B; S <- S,E; E <- B,M.
            Pick(v[E] + TransEB, E, v[S] + TransSB, S, _emit[B][c], out nv[B], out back[t * 4 + B]);
            Pick(v[M] + TransMM, M, v[B] + TransBM, B, _emit[M][c], out nv[M], out back[t * 4 + M]);
            Pick(v[S] + TransSS, S, v[E] + TransES, E, _emit[S][c], out nv[S], out back[t * 4 + S]);
            Pick(v[B] + TransBE, B, v[M] + TransME, M, _emit[E][c], out nv[E], out back[t * 4 + E]);
            nv.CopyTo(v);
        }

        int state = _python ? (v[E] > v[S] ? E : S) : (v[E] < v[S] ? S : E);
        Span<byte> pos = n <= 256 ? stackalloc byte[n] : new byte[n];
        for (var t = n - 1; t >= 0; t--)
        {
            pos[t] = (byte)state;
            state = back[t * 4 + state];
        }

        int begin = 0, nexti = 0;
        for (var i = 0; i < n; i++)
        {
            switch (pos[i])
            {
                case B:
                    begin = i;
                    break;
                case E:
                    result.Add(new Segment(offset + begin, i + 1 - begin));
                    nexti = i + 1;
                    break;
                case S:
                    result.Add(new Segment(offset + i, 1));
                    nexti = i + 1;
                    break;
            }
        }

        if (nexti < n)
        {
            result.Add(new Segment(offset + nexti, n - nexti));
        }
    }

    // (V[t-1][y0] + trans[y0][y] + em_p, y0) maximised like a Python tuple: ties go to the larger state letter.
    // (jieba.NET keeps the predecessor listed last in PrevStatus, i.e. b.)
    private void Pick(double a, int stateA, double b, int stateB, double emit, out double prob, out byte from)
    {
        var pa = a + emit;
        var pb = b + emit;
        if (pa > pb || (pa == pb && _python && stateA > stateB))
        {
            prob = pa;
            from = (byte)stateA;
        }
        else
        {
            prob = pb;
            from = (byte)stateB;
        }
    }

    private static double[][] LoadEmission()
    {
        var emit = new double[4][];
        for (var s = 0; s < 4; s++)
        {
            emit[s] = new double[char.MaxValue + 1];
            Array.Fill(emit[s], MinFloat);
        }

        using var doc = JsonDocument.Parse(OpenResource("F5Tts.Text.jieba.prob_emit.json"));
        foreach (var state in doc.RootElement.EnumerateObject())
        {
            var index = state.Name switch { "B" => B, "E" => E, "M" => M, "S" => S, _ => -1 };
            if (index < 0)
            {
                continue;
            }

            foreach (var entry in state.Value.EnumerateObject())
            {
                if (entry.Name.Length == 1)
                {
                    emit[index][entry.Name[0]] = entry.Value.GetDouble();
                }
            }
        }

        return emit;
    }
}
