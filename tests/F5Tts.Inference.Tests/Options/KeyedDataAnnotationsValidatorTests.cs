using System.ComponentModel.DataAnnotations;
using F5Tts.Inference.Options;

namespace F5Tts.Inference.Tests.Options;

public sealed class KeyedDataAnnotationsValidatorTests
{
    public sealed class Profile
    {
        [Range(1, 64)]
        public int MaxBatch { get; set; } = 8;
    }

    public sealed class Sample : IValidatableObject
    {
        [Range(1, 100000)]
        public int QueueCapacity { get; set; } = 10;

        [Required]
        public string? Directory { get; set; } = "x";

        public Profile Nested { get; set; } = new();

        public List<Profile> Profiles { get; set; } = [];

        public int Min { get; set; }

        public int Max { get; set; } = 1;

        public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
        {
            if (Min > Max)
            {
                yield return new ValidationResult("must not exceed Max.", [nameof(Min)]);
            }
        }
    }

    private static readonly KeyedDataAnnotationsValidator<Sample> Validator =
        new(Microsoft.Extensions.Options.Options.DefaultName, "F5Tts:Sample");

    [Fact]
    public void Valid_options_pass()
    {
        Assert.True(Validator.Validate(Microsoft.Extensions.Options.Options.DefaultName, new Sample()).Succeeded);
    }

    [Fact]
    public void Messages_name_the_full_configuration_key_including_nested_and_list_items()
    {
        var options = new Sample
        {
            QueueCapacity = 0,
            Directory = null,
            Nested = new Profile { MaxBatch = 65 },
            Profiles = [new Profile(), new Profile { MaxBatch = 0 }],
            Min = 5,
        };

        var result = Validator.Validate(Microsoft.Extensions.Options.Options.DefaultName, options);

        Assert.True(result.Failed);
        Assert.Equal(
        [
            "The field F5Tts:Sample:QueueCapacity must be between 1 and 100000.",
            "The F5Tts:Sample:Directory field is required.",
            "The field F5Tts:Sample:Nested:MaxBatch must be between 1 and 64.",
            "The field F5Tts:Sample:Profiles:1:MaxBatch must be between 1 and 64.",
            "F5Tts:Sample:Min: must not exceed Max.",
        ], result.Failures);
    }

    [Fact]
    public void Other_named_instances_are_skipped()
    {
        Assert.True(Validator.Validate("other", new Sample { QueueCapacity = 0 }).Skipped);
    }
}
