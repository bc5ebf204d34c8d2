using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Compact;
using Serilog.Parsing;

namespace F5Tts.Api.Extensions;

/// <summary>
/// Serilog's compact JSON with the rendered message (<c>@m</c>) written for people: string values appear as they are,
/// not in quotes. Serilog quotes every string property it renders into a message (<c>Stage "preprocess"</c>,
/// <c>providers "CUDA,CPU"</c>), which inside a JSON string becomes <c>\"…\"</c>; the properties themselves are
/// still written as typed JSON values, and the event id (<c>@i</c>) still hashes the unchanged template text.
/// </summary>
internal sealed class UnquotedMessageFormatter : ITextFormatter
{
    private readonly RenderedCompactJsonFormatter _inner = new();

    public void Format(LogEvent logEvent, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        _inner.Format(Unquoted(logEvent), output);
    }

    /// <summary>The same event whose template renders string properties with the literal (<c>:l</c>) format.</summary>
    private static LogEvent Unquoted(LogEvent logEvent)
    {
        var changed = false;
        var tokens = new List<MessageTemplateToken>();
        foreach (var token in logEvent.MessageTemplate.Tokens)
        {
            if (token is PropertyToken { Format: null } property
                && logEvent.Properties.TryGetValue(property.PropertyName, out var value)
                && value is ScalarValue { Value: string })
            {
                tokens.Add(new PropertyToken(property.PropertyName, property.ToString(), "l", property.Alignment, property.Destructuring));
                changed = true;
            }
            else
            {
                tokens.Add(token);
            }
        }

        return changed
            ? new LogEvent(logEvent.Timestamp, logEvent.Level, logEvent.Exception,
                new MessageTemplate(logEvent.MessageTemplate.Text, tokens),
                logEvent.Properties.Select(p => new LogEventProperty(p.Key, p.Value)), logEvent.TraceId ?? default, logEvent.SpanId ?? default)
            : logEvent;
    }
}
