using F5Tts.Inference.Options;

namespace F5Tts.Inference.Text;

/// <summary>
/// Cuts text that arrives piece by piece (a language model's tokens) into segments to synthesise, as soon as a
/// segment is worth speaking (docs/realtime.md "Segmentation"): the first one short — at the first sentence or clause
/// end past <see cref="RealtimeOptions.FirstSegmentMinBytes"/>, or at a word boundary once
/// <see cref="RealtimeOptions.FirstSegmentMaxBytes"/> wait — so the listener hears something early; later ones at
/// sentence ends past <see cref="RealtimeOptions.MinSegmentBytes"/> (as many whole sentences as fit
/// <see cref="RealtimeOptions.MaxSegmentBytes"/>), or at a clause end, else a word boundary, once that many wait.
/// A sentence end is <c>. ! ?</c> followed by white space (the next piece decides whether "3." ends one), a CJK
/// <c>。！？</c> or a line break; a clause end likewise <c>, ; :</c> or <c>，；：、</c>. Never cuts inside a word: the last
/// word of the buffer may still be growing. Pure and single-threaded: the caller owns the clock (<see cref="TakeWaiting"/>).
/// </summary>
public sealed class TextSegmenter
{
    private const string AsciiSentence = ".!?";
    private const string AsciiClause = ",;:";
    private const string CjkSentence = "。！？\n";
    private const string CjkClause = "，；：、";

    private readonly RealtimeOptions _options;
    private string _buffer = string.Empty;
    private bool _first = true;

    public TextSegmenter(RealtimeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <summary>True while text waits that has not become a segment yet.</summary>
    public bool HasText => _buffer.Length > 0;

    /// <summary>Adds a piece of text (any size, a single token included) and returns the segments it completed.</summary>
    public IReadOnlyList<string> Append(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        _buffer = _buffer.Length == 0 ? text.TrimStart() : _buffer + text;
        var segments = new List<string>();
        while (true)
        {
            var cut = _first ? FirstCut() : LaterCut();
            if (cut <= 0 || !Take(cut, segments))
            {
                return segments;
            }
        }
    }

    /// <summary>
    /// The text has waited long enough (<see cref="RealtimeOptions.MaxWaitMilliseconds"/>): returns it up to its last
    /// sentence, clause or word boundary, or null when it is a single unfinished word.
    /// </summary>
    public string? TakeWaiting()
    {
        var boundaries = Boundaries();
        var segments = new List<string>(1);
        return boundaries.Count > 0 && Take(boundaries[^1].End, segments) ? segments[0] : null;
    }

    /// <summary>Everything buffered as one segment (a flush, or the end of the text); null when nothing waits.</summary>
    public string? TakeAll()
    {
        var segments = new List<string>(1);
        return Take(_buffer.Length, segments) ? segments[0] : null;
    }

    private int FirstCut()
    {
        var boundaries = Boundaries();
        foreach (var b in boundaries)
        {
            if (b.Kind != BoundaryKind.Word && b.Bytes >= _options.FirstSegmentMinBytes)
            {
                if (b.Bytes <= _options.FirstSegmentMaxBytes)
                {
                    return b.End;
                }

                break;
            }
        }

        return Bytes(_buffer.Length) > _options.FirstSegmentMaxBytes ? LastWithin(boundaries, _options.FirstSegmentMaxBytes, BoundaryKind.Word) : 0;
    }

    private int LaterCut()
    {
        var boundaries = Boundaries();
        var sentence = 0;
        foreach (var b in boundaries)
        {
            if (b.Kind == BoundaryKind.Sentence && b.Bytes >= _options.MinSegmentBytes && b.Bytes <= _options.MaxSegmentBytes)
            {
                sentence = b.End; // the last one that fits: as many whole sentences as the segment holds
            }
        }

        if (sentence > 0 || Bytes(_buffer.Length) <= _options.MaxSegmentBytes)
        {
            return sentence;
        }

        var clause = LastWithin(boundaries, _options.MaxSegmentBytes, BoundaryKind.Clause);
        return clause > 0 ? clause : LastWithin(boundaries, _options.MaxSegmentBytes, BoundaryKind.Word);
    }

    /// <summary>The last boundary of at least <paramref name="kind"/> within <paramref name="maxBytes"/>; else the first boundary (one over-long word).</summary>
    private static int LastWithin(List<Boundary> boundaries, int maxBytes, BoundaryKind kind)
    {
        var cut = 0;
        foreach (var b in boundaries)
        {
            if (b.Bytes > maxBytes)
            {
                return cut > 0 || kind != BoundaryKind.Word ? cut : b.End;
            }

            if (b.Kind >= kind)
            {
                cut = b.End;
            }
        }

        return cut;
    }

    private bool Take(int end, List<string> segments)
    {
        var text = _buffer[..end].Trim();
        _buffer = _buffer[end..].TrimStart();
        if (text.Length == 0)
        {
            return _buffer.Length > 0 && end > 0; // only white space was cut: look again
        }

        segments.Add(text);
        _first = false;
        return true;
    }

    /// <summary>Every place the buffer may be cut, in order, with the UTF-8 bytes before it.</summary>
    private List<Boundary> Boundaries()
    {
        var s = _buffer;
        var result = new List<Boundary>();
        var bytes = 0;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            var next = i + 1 < s.Length ? s[i + 1] : '\0';
            var kind = (BoundaryKind?)null;
            if (CjkSentence.Contains(c, StringComparison.Ordinal) || (AsciiSentence.Contains(c, StringComparison.Ordinal) && char.IsWhiteSpace(next)))
            {
                kind = BoundaryKind.Sentence;
            }
            else if (CjkClause.Contains(c, StringComparison.Ordinal) || (AsciiClause.Contains(c, StringComparison.Ordinal) && char.IsWhiteSpace(next)))
            {
                kind = BoundaryKind.Clause;
            }
            else if (char.IsWhiteSpace(next) || (CharClasses.IsF5Chinese(c) && i + 1 < s.Length))
            {
                kind = BoundaryKind.Word; // a complete word before white space; every CJK character is complete
            }

            bytes += char.IsHighSurrogate(c) ? 0 : CharClasses.Utf8Length(char.IsLowSurrogate(c) && i > 0 ? s.AsSpan(i - 1, 2) : s.AsSpan(i, 1));
            if (kind is { } k && !char.IsHighSurrogate(c))
            {
                result.Add(new Boundary(i + 1, bytes, k));
            }
        }

        return result;
    }

    private int Bytes(int length) => CharClasses.Utf8Length(_buffer.AsSpan(0, length));

    private enum BoundaryKind
    {
        Word,
        Clause,
        Sentence,
    }

    private readonly record struct Boundary(int End, int Bytes, BoundaryKind Kind);
}
