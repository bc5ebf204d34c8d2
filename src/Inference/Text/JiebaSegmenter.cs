using System.Reflection;

namespace F5Tts.Inference.Text;

/// <summary>A segment of the input: <see cref="Start"/> and <see cref="Length"/> in UTF-16 units.</summary>
internal readonly record struct Segment(int Start, int Length)
{
    public int End => Start + Length;
}

/// <summary>How equal scores are resolved (the only place where Python jieba and jieba.NET disagree).</summary>
internal enum JiebaTieBreak
{
    /// <summary>Python jieba: route with the larger end index; Viterbi state with the later letter; final S.</summary>
    Python,

    /// <summary>jieba.NET 0.42.2: first route; Viterbi predecessor listed last; final E. Only for the parity test.</summary>
    JiebaNet,
}

/// <summary>
/// Python jieba 0.42.1 <c>jieba.cut(text)</c> (accurate mode, HMM on) over jieba's own dictionary and HMM tables,
/// as shipped in the jieba.NET 0.42.2 package.
/// </summary>
/// <remarks>
/// Why not call <c>JiebaNet.Segmenter.JiebaSegmenter.Cut</c>: its best-route search keeps the first of equal-scoring
/// routes while Python keeps the one with the larger end index (<c>max((logp, x))</c>), so e.g. 好好好 comes out
/// 好|好好 instead of Python's 好好|好; its dictionary is process-wide static state (user words would leak between
/// instances); and it allocates a substring per DAG probe. The algorithm below is a line-by-line port of
/// <c>jieba/__init__.py</c> (<c>cut</c>, <c>get_DAG</c>, <c>calc</c>, <c>__cut_DAG</c>, <c>suggest_freq</c>) and
/// <c>jieba/finalseg/__init__.py</c> (<c>viterbi</c>, <c>cut</c>); docs/text-frontend.md lists the details that
/// matter for exactness. Immutable after construction (lexicon words are added by the constructor), so one instance
/// is safe to share between threads.
/// </remarks>
internal sealed class JiebaSegmenter
{
    private readonly Dictionary<string, int> _freq;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _freqSpan;
    private readonly double _logTotal;
    private readonly bool _python;
    private readonly JiebaHmm _hmm;
    private long _total; // grows only while the constructor adds user words

    /// <summary>Loads the embedded dictionary and HMM tables and adds <paramref name="userWords"/> (jieba <c>add_word</c>).</summary>
    public JiebaSegmenter(IEnumerable<string>? userWords = null, JiebaTieBreak tieBreak = JiebaTieBreak.Python)
    {
        _python = tieBreak == JiebaTieBreak.Python;
        (_freq, _total) = LoadDictionary();
        _freqSpan = _freq.GetAlternateLookup<ReadOnlySpan<char>>();
        _hmm = new JiebaHmm(_python);
        foreach (var word in userWords ?? [])
        {
            AddWord(word);
        }

        _logTotal = Math.Log(_total);
    }

    /// <summary>Number of dictionary entries with a non-zero frequency.</summary>
    public bool ContainsWord(ReadOnlySpan<char> word) => _freqSpan.TryGetValue(word, out var f) && f > 0;

    /// <summary><c>jieba.cut(text)</c>: the segments, in order, covering the whole text.</summary>
    public List<Segment> Cut(ReadOnlySpan<char> text)
    {
        var result = new List<Segment>(text.Length / 2 + 4);
        Cut(text, result);
        return result;
    }

    /// <summary>Appends the segments of <paramref name="text"/> to <paramref name="result"/>.</summary>
    public void Cut(ReadOnlySpan<char> text, List<Segment> result)
    {
        var i = 0;
        while (i < text.Length)
        {
            if (CharClasses.IsJiebaBlockChar(text[i]))
            {
                var start = i;
                while (i < text.Length && CharClasses.IsJiebaBlockChar(text[i]))
                {
                    i++;
                }

                CutBlock(text[start..i], start, result);
                continue;
            }

            // re_skip_default "(\r\n|\s)": whitespace one per segment ("\r\n" together); any other character
            // (code point) is its own segment.
            if (text[i] == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                result.Add(new Segment(i, 2));
                i += 2;
            }
            else if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                result.Add(new Segment(i, 2));
                i += 2;
            }
            else
            {
                result.Add(new Segment(i, 1));
                i++;
            }
        }
    }

    /// <summary><c>__cut_DAG</c> on one run of block characters.</summary>
    private void CutBlock(ReadOnlySpan<char> block, int offset, List<Segment> result)
    {
        var n = block.Length;
        var rentedNext = System.Buffers.ArrayPool<int>.Shared.Rent(n + 1);
        var rentedProb = System.Buffers.ArrayPool<double>.Shared.Rent(n + 1);
        try
        {
            var next = rentedNext.AsSpan(0, n + 1);
            var prob = rentedProb.AsSpan(0, n + 1);
            Calc(block, prob, next);

            var x = 0;
            var bufStart = -1;
            while (x < n)
            {
                var y = next[x] + 1;
                if (y - x == 1)
                {
                    if (bufStart < 0)
                    {
                        bufStart = x;
                    }
                }
                else
                {
                    if (bufStart >= 0)
                    {
                        FlushBuffer(block, bufStart, x, offset, result);
                        bufStart = -1;
                    }

                    result.Add(new Segment(offset + x, y - x));
                }

                x = y;
            }

            if (bufStart >= 0)
            {
                FlushBuffer(block, bufStart, n, offset, result);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<int>.Shared.Return(rentedNext);
            System.Buffers.ArrayPool<double>.Shared.Return(rentedProb);
        }
    }

    /// <summary>
    /// <c>get_DAG</c> + <c>calc</c>: best route from each position to the end. Python takes
    /// <c>max((log(freq or 1) - logtotal + route[x+1][0], x) for x in DAG[idx])</c>, so among equal scores the larger
    /// end index wins; iterating x upwards with <c>&gt;=</c> does the same.
    /// </summary>
    private void Calc(ReadOnlySpan<char> s, Span<double> prob, Span<int> next)
    {
        var n = s.Length;
        prob[n] = 0;
        next[n] = 0;
        for (var idx = n - 1; idx >= 0; idx--)
        {
            var best = double.NegativeInfinity;
            var bestX = -1;
            var any = false;
            var i = idx;
            while (i < n && _freqSpan.TryGetValue(s[idx..(i + 1)], out var f))
            {
                if (f > 0)
                {
                    any = true;
                    var p = Math.Log(f) - _logTotal + prob[i + 1];
                    if (p > best || (p == best && _python))
                    {
                        best = p;
                        bestX = i;
                    }
                }

                i++;
            }

            if (!any)
            {
                // DAG[idx] = [idx]; FREQ.get(char) may be 0/None -> "or 1" -> log(1) = 0.
                best = 0 - _logTotal + prob[idx + 1];
                bestX = idx;
            }

            prob[idx] = best;
            next[idx] = bestX;
        }
    }

    /// <summary>The buffered single characters of <c>__cut_DAG</c>: as is, or through the HMM when not a word.</summary>
    private void FlushBuffer(ReadOnlySpan<char> block, int start, int end, int offset, List<Segment> result)
    {
        var buf = block[start..end];
        if (buf.Length == 1)
        {
            result.Add(new Segment(offset + start, 1));
        }
        else if (!ContainsWord(buf))
        {
            _hmm.FinalSegCut(buf, offset + start, result);
        }
        else
        {
            for (var k = 0; k < buf.Length; k++)
            {
                result.Add(new Segment(offset + start + k, 1));
            }
        }
    }

    /// <summary>
    /// <c>add_word(word)</c> with the frequency from <c>suggest_freq(word, tune=False)</c>: just enough for the word
    /// to beat its own no-HMM split. Prefixes are registered so that the DAG reaches it.
    /// </summary>
    private void AddWord(string word)
    {
        var logTotal = Math.Log(_total);
        var n = word.Length;
        var next = new int[n + 1];
        var prob = new double[n + 1];
        CalcWith(word, prob, next, logTotal);
        double ftotal = _total;
        double freq = 1;
        // cut(word, HMM=False): for a word of Han characters this is the route itself.
        for (var x = 0; x < n;)
        {
            var y = next[x] + 1;
            freq *= (_freq.TryGetValue(word[x..y], out var f) ? f : 1) / ftotal;
            x = y;
        }

        var existing = _freq.TryGetValue(word, out var old) ? old : 1;
        var suggested = Math.Max((int)(freq * _total) + 1, existing);
        _freq[word] = suggested;
        _total += suggested;
        for (var k = 1; k < n; k++)
        {
            _freq.TryAdd(word[..k], 0);
        }
    }

    private void CalcWith(string s, double[] prob, int[] next, double logTotal)
    {
        var n = s.Length;
        for (var idx = n - 1; idx >= 0; idx--)
        {
            var best = double.NegativeInfinity;
            var bestX = idx;
            var any = false;
            for (var i = idx; i < n && _freq.TryGetValue(s[idx..(i + 1)], out var f); i++)
            {
                if (f > 0)
                {
                    any = true;
                    var p = Math.Log(f) - logTotal + prob[i + 1];
                    if (p >= best)
                    {
                        best = p;
                        bestX = i;
                    }
                }
            }

            prob[idx] = any ? best : 0 - logTotal + prob[idx + 1];
            next[idx] = bestX;
        }
    }

    /// <summary><c>gen_pfdict</c>: word → frequency, every prefix registered with 0, total = sum of frequencies.</summary>
    private static (Dictionary<string, int> Freq, long Total) LoadDictionary()
    {
        var freq = new Dictionary<string, int>(700_000, StringComparer.Ordinal);
        long total = 0;
        using var reader = new StreamReader(JiebaHmm.OpenResource("F5Tts.Text.jieba.dict.txt"), System.Text.Encoding.UTF8);
        while (reader.ReadLine() is { } raw)
        {
            var line = raw.AsSpan().Trim();
            if (line.IsEmpty)
            {
                continue;
            }

            var sp1 = line.IndexOf(' ');
            var word = line[..sp1].ToString();
            var rest = line[(sp1 + 1)..];
            var sp2 = rest.IndexOf(' ');
            var f = int.Parse(sp2 < 0 ? rest : rest[..sp2], System.Globalization.CultureInfo.InvariantCulture);
            freq[word] = f;
            total += f;
            for (var k = 1; k < word.Length; k++)
            {
                freq.TryAdd(word[..k], 0);
            }
        }

        return (freq, total);
    }
}
