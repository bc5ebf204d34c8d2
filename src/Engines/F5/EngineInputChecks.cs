using F5Tts.Inference.Engine;

namespace F5Tts.Engines.F5;

/// <summary>Checks an <see cref="EngineInput"/> against the graphs' hard limits (docs/model.md "Limits") before any Run.</summary>
internal static class EngineInputChecks
{
    public static void Check(EngineInput input, int maxFrames, int vocabSize)
    {
        if (input.ReferenceAudio is null || input.ReferenceAudio.Length == 0)
        {
            throw new ArgumentException("Reference audio is empty.", nameof(input));
        }

        if (input.TextIds is null || input.TextIds.Length == 0)
        {
            throw new ArgumentException("Text ids are empty.", nameof(input));
        }

        if (input.TotalFrames < 2 || input.TotalFrames > maxFrames)
        {
            throw new ArgumentException($"TotalFrames must be in 2..{maxFrames} (got {input.TotalFrames}).", nameof(input));
        }

        if (input.TextIds.Length > input.TotalFrames)
        {
            throw new ArgumentException($"TotalFrames ({input.TotalFrames}) must be at least the number of text ids ({input.TextIds.Length}).", nameof(input));
        }

        foreach (var id in input.TextIds)
        {
            if ((uint)id >= (uint)vocabSize)
            {
                throw new ArgumentException($"Text id {id} is outside the vocabulary (0..{vocabSize - 1}).", nameof(input));
            }
        }

        if (input.InitialNoise is { } noise && noise.Length != input.TotalFrames * 100)
        {
            throw new ArgumentException($"InitialNoise must hold TotalFrames × 100 = {input.TotalFrames * 100} values (got {noise.Length}).", nameof(input));
        }

        if (!float.IsFinite(input.OutputGain) || input.OutputGain <= 0)
        {
            throw new ArgumentException($"OutputGain must be a positive finite number (got {input.OutputGain}).", nameof(input));
        }

        if (!float.IsFinite(input.Sampler.CfgStrength))
        {
            throw new ArgumentException("CFG strength must be finite.", nameof(input));
        }
    }
}

/// <summary>Synthetic but valid inputs for warm-up: a deterministic quiet noise clip and a run of ids.</summary>
internal static class WarmUpInput
{
    public static EngineInput Create(int totalFrames, int vocabSize, int hopLength)
    {
        // About 40 % of the frames are reference, as in a typical request (3 s reference, 4–5 s of speech).
        var refSamples = Math.Max(hopLength * 2, totalFrames * 2 / 5 * hopLength);
        var audio = Inference.Sampling.GaussianNoise.Generate(1, refSamples);
        for (var i = 0; i < audio.Length; i++)
        {
            audio[i] *= 0.05f;
        }

        var textCount = Math.Clamp(totalFrames / 8, 1, totalFrames);
        var ids = new int[textCount];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = 1 + (i % Math.Max(1, vocabSize - 1));
        }

        return new EngineInput(audio, ids, totalFrames, new SamplerSettings(NfeSteps: 1, Seed: 1));
    }
}
