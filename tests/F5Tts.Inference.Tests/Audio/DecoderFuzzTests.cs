using F5Tts.Inference.Audio;
using static F5Tts.Inference.Tests.Audio.AudioTestUtil;

namespace F5Tts.Inference.Tests.Audio;

/// <summary>Randomly damaged uploads either decode or fail with <see cref="AudioRequestException"/>, never anything else.</summary>
public sealed class DecoderFuzzTests
{
    [Fact]
    public void Damaged_wavs_never_escape_as_other_exceptions()
    {
        var valid = BrokenWav.Valid(Sine(440, 0.5, 0.2, 24_000));
        var random = new Random(1234);
        int refused = 0;
        for (int round = 0; round < 3_000; round++)
        {
            var bytes = FuzzMutations.Mutate(valid, random, headerBytes: 64);
            try
            {
                var audio = AudioDecoder.Decode(bytes, 60);
                Assert.True(audio.Channels >= 1 && audio.SampleRate >= 1_000 && audio.Samples.Length > 0);
            }
            catch (AudioRequestException)
            {
                refused++;
            }
        }

        Assert.InRange(refused, 300, 3_000); // the mutations really hit the parser's checks
    }

    [Fact]
    public void Damaged_mp3s_never_escape_as_other_exceptions()
    {
        var (code, encoders, _) = Run("ffmpeg", "-hide_banner", "-encoders");
        Assert.SkipUnless(code == 0 && encoders.Contains("libmp3lame", StringComparison.Ordinal), "ffmpeg has no libmp3lame encoder, so no MP3 can be produced here");
        string dir = TempDir();
        try
        {
            string path = Path.Combine(dir, "a.mp3");
            RunOk("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=24000:duration=0.5", "-c:a", "libmp3lame", "-b:a", "64k", path);
            var valid = File.ReadAllBytes(path);
            var random = new Random(99);
            for (int round = 0; round < 400; round++)
            {
                var bytes = FuzzMutations.Mutate(valid, random, headerBytes: valid.Length);
                try
                {
                    AudioDecoder.Decode(bytes, 60);
                }
                catch (AudioRequestException)
                {
                }
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
