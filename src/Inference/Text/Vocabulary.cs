namespace F5Tts.Inference.Text;

/// <summary>
/// The model's token list (<c>vocab.txt</c> in the model directory): one token per line, id = 0-based line number,
/// unknown tokens map to id 0 (which is the space token), exactly as upstream <c>vocab.get(c, 0)</c>.
/// </summary>
/// <remarks>
/// Upstream strips one trailing character per line; the copy of the vocabulary stored in the F5-TTS training data
/// folder has CRLF endings, so both LF and CRLF are accepted (reference pitfall: a naive strip leaves "\r" on every
/// token). A line holding a single space is the space token, so lines are never trimmed beyond the line ending.
/// </remarks>
public sealed class Vocabulary
{
    private readonly Dictionary<string, int> _ids;
    private readonly string[] _tokens;

    private Vocabulary(string[] tokens)
    {
        _tokens = tokens;
        _ids = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (var i = 0; i < tokens.Length; i++)
        {
            // Upstream builds a dict line by line, so a duplicate token keeps its last id (the shipped files have none).
            _ids[tokens[i]] = i;
        }
    }

    /// <summary>Number of tokens.</summary>
    public int Count => _tokens.Length;

    /// <summary>Token text by id.</summary>
    public string this[int id] => _tokens[id];

    /// <summary>Id of <paramref name="token"/>, 0 when unknown (upstream behaviour).</summary>
    public int GetId(string token) => _ids.TryGetValue(token, out var id) ? id : 0;

    /// <summary>True when <paramref name="token"/> is in the vocabulary.</summary>
    public bool Contains(string token) => _ids.ContainsKey(token);

    /// <summary>Reads a vocabulary file (UTF-8, LF or CRLF).</summary>
    /// <exception cref="InvalidDataException">The file is empty or its first token is not a space.</exception>
    public static Vocabulary Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Parse(File.ReadAllText(path, System.Text.Encoding.UTF8), path);
    }

    /// <summary>Parses vocabulary text (UTF-8, LF or CRLF); <paramref name="source"/> names it in errors.</summary>
    public static Vocabulary Parse(string content, string source = "vocabulary")
    {
        ArgumentNullException.ThrowIfNull(content);
        var tokens = new List<string>(2600);
        var start = 0;
        while (start < content.Length)
        {
            var nl = content.IndexOf('\n', start);
            var end = nl < 0 ? content.Length : nl;
            var lineEnd = end > start && content[end - 1] == '\r' && nl >= 0 ? end - 1 : end;
            tokens.Add(content[start..lineEnd]);
            start = end + 1;
        }

        if (tokens.Count == 0)
        {
            throw new InvalidDataException($"{source}: the vocabulary is empty.");
        }

        // Upstream asserts vocab[" "] == 0 because 0 doubles as the id of every unknown token.
        if (tokens[0] != " ")
        {
            throw new InvalidDataException($"{source}: the first token (id 0) must be a single space, found '{tokens[0]}'.");
        }

        return new Vocabulary([.. tokens]);
    }
}
