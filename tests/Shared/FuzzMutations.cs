namespace F5Tts.Tests;

/// <summary>
/// The damage the decoder fuzz tests apply to a valid file (compiled into every test project): bytes flipped in the
/// header region, truncation anywhere, an extreme 32-bit value over a header field, or random garbage after the
/// first bytes.
/// </summary>
public static class FuzzMutations
{
    /// <summary>A damaged copy of <paramref name="source"/>; header damage stays within <paramref name="headerBytes"/>.</summary>
    public static byte[] Mutate(byte[] source, Random random, int headerBytes)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(random);
        var bytes = (byte[])source.Clone();
        switch (random.Next(4))
        {
            case 0:
                for (int i = random.Next(1, 6); i > 0; i--)
                {
                    bytes[random.Next(Math.Min(headerBytes, bytes.Length))] = (byte)random.Next(256);
                }

                return bytes;
            case 1:
                return bytes[..random.Next(bytes.Length)];
            case 2:
                int at = random.Next(Math.Min(headerBytes, bytes.Length - 4));
                BitConverter.TryWriteBytes(bytes.AsSpan(at), random.Next(3) switch { 0 => uint.MaxValue, 1 => 0u, _ => (uint)random.Next() });
                return bytes;
            default:
                random.NextBytes(bytes.AsSpan(random.Next(4, bytes.Length)));
                return bytes;
        }
    }

    /// <summary>
    /// Runs <paramref name="decode"/> on <paramref name="rounds"/> damaged copies of <paramref name="valid"/> and counts
    /// those refused with <typeparamref name="TRefusal"/>; any other exception fails the test. <paramref name="decode"/>
    /// asserts what an accepted copy must be.
    /// </summary>
    public static int CountRefused<TRefusal>(byte[] valid, int seed, int rounds, int headerBytes, Action<byte[]> decode)
        where TRefusal : Exception
    {
        ArgumentNullException.ThrowIfNull(decode);
        var random = new Random(seed);
        int refused = 0;
        for (int round = 0; round < rounds; round++)
        {
            try
            {
                decode(Mutate(valid, random, headerBytes));
            }
            catch (TRefusal)
            {
                refused++;
            }
        }

        return refused;
    }
}
