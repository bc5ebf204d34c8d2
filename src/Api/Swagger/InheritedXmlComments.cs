using System.Collections;
using System.Reflection;
using System.Xml.Linq;
using System.Xml.XPath;

namespace F5Tts.Api.Swagger;

/// <summary>
/// An assembly's XML documentation file with each <c>&lt;inheritdoc cref="…"/&gt;</c> replaced by what it inherits.
/// The compiler writes the tag into the file as it stands and Swashbuckle does not resolve it, so a contract property
/// that takes its description from another one (<see cref="Contracts.DubRequestDto"/> from the synthesis settings)
/// would otherwise have none in the OpenAPI document.
/// </summary>
internal static class InheritedXmlComments
{
    /// <summary>The selection of an <c>&lt;inheritdoc&gt;</c> without <c>path</c>: everything the source says (Roslyn's default).</summary>
    private const string AllOfIt = "/*/node()[not(self::overloads)]";

    /// <summary>Loads the file Swashbuckle reads for <paramref name="assembly"/>, with the tags resolved.</summary>
    public static XPathDocument Load(Assembly assembly)
    {
        var document = XDocument.Load(Path.Combine(AppContext.BaseDirectory, $"{assembly.GetName().Name}.xml"), LoadOptions.PreserveWhitespace);
        var members = document.Descendants("member")
            .Where(m => m.Attribute("name") is not null)
            .ToDictionary(m => m.Attribute("name")!.Value, StringComparer.Ordinal);

        // Sources are copied as they stand: one that inherits in turn is not followed. A cref outside this assembly (or
        // an <inheritdoc/> without one) stays as it is, undocumented as before.
        foreach (var tag in document.Descendants("inheritdoc").ToList())
        {
            if (tag.Attribute("cref")?.Value is { } cref && members.TryGetValue(cref, out var source))
            {
                tag.ReplaceWith(Select(source, tag.Attribute("path")?.Value));
            }
        }

        using var reader = document.CreateReader();
        return new XPathDocument(reader);
    }

    /// <summary>
    /// What <paramref name="path"/> selects from <paramref name="source"/>, as Roslyn evaluates it for IntelliSense: over
    /// a document whose root is the source's <c>&lt;member&gt;</c>, so <c>path="/summary"</c> means its summary.
    /// </summary>
    private static List<XNode> Select(XElement source, string? path)
    {
        var inherited = new XDocument(new XElement(source));
        var expression = string.IsNullOrEmpty(path) ? AllOfIt : path.StartsWith('/') ? "/*" + path : path;
        return ((IEnumerable)inherited.XPathEvaluate(expression)).OfType<XNode>().ToList();
    }
}
