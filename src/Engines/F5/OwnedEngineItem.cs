using F5Tts.Inference.Engine;

namespace F5Tts.Engines.F5;

/// <summary>An item that knows the engine that prepared it (items of one engine cannot be stepped by another).</summary>
internal interface IOwnedEngineItem : IEngineItem
{
    /// <summary>The engine whose <c>Prepare</c> made this item.</summary>
    ITtsEngine Owner { get; }

    bool IsDisposed { get; }
}

/// <summary>The ownership check every engine entry point makes on the items it is given.</summary>
internal static class OwnedEngineItem
{
    /// <summary>
    /// <paramref name="item"/> as <typeparamref name="T"/>; throws <see cref="ArgumentException"/> when it was not
    /// prepared by <paramref name="engine"/> and <see cref="ObjectDisposedException"/> when it was disposed.
    /// </summary>
    public static T Own<T>(ITtsEngine engine, IEngineItem item)
        where T : class, IOwnedEngineItem
    {
        ArgumentNullException.ThrowIfNull(item);
        if (item is not T own || !ReferenceEquals(own.Owner, engine))
        {
            throw new ArgumentException("The item was not prepared by this engine.", nameof(item));
        }

        ObjectDisposedException.ThrowIf(own.IsDisposed, own);
        return own;
    }
}
