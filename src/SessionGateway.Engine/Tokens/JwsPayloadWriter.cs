using System.Buffers;
using System.Text.Json;

namespace SessionGateway.Tokens;

/// <summary>
/// A JSON writer and its buffer for JWS payloads, one per thread and reset for each payload, so minting a token does
/// not allocate a writer. A mint never awaits, so nothing else runs on the thread while the writer is in use.
/// </summary>
internal sealed class JwsPayloadWriter : IDisposable
{
    [ThreadStatic]
    private static JwsPayloadWriter? t_current;

    private readonly ArrayBufferWriter<byte> _buffer = new(512);
    private readonly Utf8JsonWriter _writer;

    private JwsPayloadWriter() => _writer = new Utf8JsonWriter(_buffer);

    /// <summary>This thread's writer.</summary>
    public static JwsPayloadWriter Current => t_current ??= new JwsPayloadWriter();

    /// <summary>The payload written since <see cref="Start"/> (after the writer was flushed).</summary>
    public ReadOnlySpan<byte> Written => _buffer.WrittenSpan;

    public Utf8JsonWriter Start()
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        return _writer;
    }

    public void Dispose() => _writer.Dispose();
}
