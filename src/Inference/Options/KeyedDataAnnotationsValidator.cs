using System.Collections;
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using Microsoft.Extensions.Options;

namespace F5Tts.Inference.Options;

/// <summary>
/// Data-annotations validation whose messages use the configuration key as the display name
/// ("The field F5Tts:Batching:QueueCapacity must be between 1 and 100000."), so an operator sees exactly which
/// setting to fix. The stock validator names only the property. Recurses into nested option objects and lists of them
/// (types of F5Tts assemblies) and runs <see cref="IValidatableObject"/>.
/// </summary>
internal sealed class KeyedDataAnnotationsValidator<TOptions>(string? name, string sectionPath) : IValidateOptions<TOptions>
    where TOptions : class
{
    private const int MaxDepth = 8;

    public ValidateOptionsResult Validate(string? name1, TOptions options)
    {
        if (name is not null && !string.Equals(name, name1, StringComparison.Ordinal))
        {
            return ValidateOptionsResult.Skip;
        }

        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        ValidateObject(options, sectionPath, failures, 0);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateObject(object instance, string path, List<string> failures, int depth)
    {
        if (depth > MaxDepth)
        {
            return;
        }

        foreach (var property in instance.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (!property.CanRead || property.GetIndexParameters().Length > 0)
            {
                continue;
            }

            var key = $"{path}:{property.Name}";
            var value = property.GetValue(instance);
            var results = new List<ValidationResult>();
            var context = new ValidationContext(instance) { MemberName = property.Name, DisplayName = key };
            if (!Validator.TryValidateProperty(value, context, results))
            {
                failures.AddRange(results.Select(r => r.ErrorMessage ?? $"{key} is invalid."));
            }

            if (value is null || value is string)
            {
                continue;
            }

            if (IsOptionsType(value.GetType()))
            {
                ValidateObject(value, key, failures, depth + 1);
            }
            else if (value is IEnumerable items and not IDictionary)
            {
                var index = 0;
                foreach (var item in items)
                {
                    if (item is not null && IsOptionsType(item.GetType()))
                    {
                        ValidateObject(item, $"{key}:{index}", failures, depth + 1);
                    }

                    index++;
                }
            }
        }

        if (instance is IValidatableObject validatable)
        {
            foreach (var result in validatable.Validate(new ValidationContext(instance)))
            {
                var members = result.MemberNames.ToList();
                var where = members.Count == 0 ? path : string.Join(", ", members.Select(m => $"{path}:{m}"));
                failures.Add($"{where}: {result.ErrorMessage}");
            }
        }
    }

    private static bool IsOptionsType(Type type) =>
        type.IsClass && type.Assembly.GetName().Name?.StartsWith("F5Tts.", StringComparison.Ordinal) == true;
}
