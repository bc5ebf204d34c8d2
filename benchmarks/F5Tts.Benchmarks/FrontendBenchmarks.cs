using BenchmarkDotNet.Attributes;
using F5Tts.Inference.Options;
using F5Tts.Inference.Text;

namespace F5Tts.Benchmarks;

/// <summary>
/// Text front-end throughput on one thread: mixed Chinese/English text through <see cref="ITextFrontEnd.Tokenize"/>
/// (segmentation, pinyin, sandhi, ids). Characters per second = <see cref="Characters"/> / mean time.
/// Run: <c>dotnet run -c Release --project benchmarks/F5Tts.Benchmarks -- --filter '*Frontend*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
public class FrontendBenchmarks
{
    private const string Mixed =
        "对，这就是我，万人敬仰的太乙真人。虽然有点婴儿肥，但也掩不住我逼人的帅气。" +
        "Some call me nature, others call me mother nature. " +
        "银保监会将继续深入排查整治违法违规股东股权，依法清理规范股权关系，对股东违法违规行为保持高压态势。" +
        "The fare was not much to the taste of the guest, and presently he broke out with a sigh. " +
        "我们在2024年5月1日去了公园，门票是¥3.50，玩得很开心！";

    private TextFrontEnd _frontEnd = null!;
    private string _text = null!;

    /// <summary>Characters per invocation.</summary>
    public int Characters => _text.Length;

    [Params(false, true)]
    public bool Normalize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var vocabPath = Path.Combine(AppContext.BaseDirectory, "data", "f5-vocab.txt");
        _frontEnd = new TextFrontEnd(new TextOptions { MaxCharacters = 100_000 }, Vocabulary.Load(vocabPath));
        _text = string.Concat(Enumerable.Repeat(Mixed, 10)); // ≈ 2,600 characters
        Console.WriteLine($"// Characters per invocation: {_text.Length}");
    }

    [Benchmark]
    public int Tokenize() => _frontEnd.Tokenize(_text, normalize: Normalize).Count;
}
