namespace SessionGateway.Requests;

/// <summary>Why a request path was refused.</summary>
internal enum PathRefusal
{
    /// <summary>A <c>\</c> (or <c>%5C</c>): Windows servers, IIS and some Java containers read it as <c>/</c>.</summary>
    Backslash,

    /// <summary>A <c>%2F</c>: servers that decode it read it as a segment separator.</summary>
    EscapedSlash,

    /// <summary>A <c>;</c>: Tomcat, Jetty and other servlet containers strip <c>;…</c> from each segment.</summary>
    PathParameter,
}
