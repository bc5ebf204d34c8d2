using F5Tts.Inference.Audio;
using F5Tts.Inference.Engine;
using F5Tts.Inference.Text;
using F5Tts.Inference.Workers;

namespace F5Tts.Inference.Synthesis;

/// <summary>A request's settings once resolved and checked: the model, sampler and seed, speed, reference voice and the device workers.</summary>
internal sealed record SynthesisSetup(
    EngineDescription Model,
    SamplerSettings Sampler,
    long Seed,
    float Speed,
    ConditionedReference Reference,
    string Transcript,
    bool? Normalize,
    WorkerPool Workers)
{
    /// <summary>The engine input of one chunk: chunk i of a request (or stream) uses seed + i.</summary>
    public EngineInput Input(SynthesisChunk chunk) =>
        new(Reference.Samples, chunk.Tokens.Ids, chunk.Duration.TotalFrames, Sampler with { Seed = Seed + chunk.Index }, Reference.OutputGain);
}
