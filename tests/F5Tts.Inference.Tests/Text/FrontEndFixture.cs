using F5Tts.Inference.Options;
using F5Tts.Inference.Text;

[assembly: AssemblyFixture(typeof(F5Tts.Inference.Tests.Text.FrontEndFixture))]

namespace F5Tts.Inference.Tests.Text;

/// <summary>One real front-end per test assembly (loading the tables takes about a second).</summary>
public sealed class FrontEndFixture
{
    public FrontEndFixture()
    {
        Vocabulary = Vocabulary.Load(TestData.VocabPath);
        Official = new TextFrontEnd(new TextOptions(), Vocabulary);
    }

    public Vocabulary Vocabulary { get; }

    /// <summary>Default options: Official mode, normalisation off.</summary>
    public TextFrontEnd Official { get; }
}
