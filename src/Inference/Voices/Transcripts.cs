namespace F5Tts.Inference.Voices;

/// <summary>
/// What a reference transcript must be: the words spoken in the clip. The model aligns the clip with its transcript
/// by length, so a transcript with nothing to speak (only punctuation, spaces or control characters) would silently
/// produce garbage; it is refused instead, for stored voices and inline references alike.
/// </summary>
public static class Transcripts
{
    /// <summary>
    /// True when <paramref name="text"/> has at least one letter or digit and no control characters other than
    /// tab, carriage return and line feed.
    /// </summary>
    public static bool IsSpeakable(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        bool speakable = false;
        foreach (char c in text)
        {
            if (char.IsControl(c) && c is not ('\t' or '\r' or '\n'))
            {
                return false;
            }

            speakable |= char.IsLetterOrDigit(c);
        }

        return speakable;
    }
}
