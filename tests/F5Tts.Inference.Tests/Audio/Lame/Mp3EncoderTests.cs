using System.Globalization;
using F5Tts.Inference.Audio.Lame;

namespace F5Tts.Inference.Tests.Audio.Lame;

public sealed class Mp3EncoderTests
{
    [Fact]
    public void Encoded_sine_decodes_with_ffprobe_as_mono_mp3_of_the_same_duration()
    {
        Assert.True(Mp3Encoder.IsAvailable, ExternalTool.MissingMessage("libmp3lame.so.0", "libmp3lame0"));
        const int rate = 24_000;
        var pcm = new float[(int)(rate * 2.5)];
        for (var i = 0; i < pcm.Length; i++)
        {
            pcm[i] = 0.5f * MathF.Sin(2 * MathF.PI * 440 * i / rate);
        }

        var path = Path.Combine(Path.GetTempPath(), $"f5tts-{Guid.NewGuid():N}.mp3");
        try
        {
            using (var file = File.Create(path))
            using (var encoder = new Mp3Encoder(rate))
            {
                // Uneven pieces, as a stream would deliver them.
                for (var offset = 0; offset < pcm.Length; offset += 7_777)
                {
                    file.Write(encoder.Encode(pcm.AsSpan(offset, Math.Min(7_777, pcm.Length - offset))));
                }

                file.Write(encoder.Flush());
            }

            var (codec, sampleRate, channels, duration) = Probe(path);
            Assert.Equal("mp3", codec);
            Assert.Equal(rate, sampleRate);
            Assert.Equal(1, channels);
            // MP3 adds encoder delay and pads to whole 576-sample granules: allow 100 ms.
            Assert.InRange(duration, 2.5, 2.6);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static (string Codec, int Rate, int Channels, double Duration) Probe(string path)
    {
        var result = ExternalTool.Run("ffprobe", ["-v", "error", "-select_streams", "a:0", "-show_entries",
            "stream=codec_name,sample_rate,channels:format=duration", "-of", "default=noprint_wrappers=1", path], TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, result.StdErr);
        var output = result.StdOut;
        var values = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        return (values["codec_name"], int.Parse(values["sample_rate"], CultureInfo.InvariantCulture),
            int.Parse(values["channels"], CultureInfo.InvariantCulture),
            double.Parse(values["duration"], CultureInfo.InvariantCulture));
    }
}
