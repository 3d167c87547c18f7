using System.Buffers;

namespace Wmtty.Api.Fhir;

/// <summary>
/// JSON written into an array rented from <see cref="ArrayPool{T}.Shared"/>, for an answer that is sent once and
/// then dropped: a Bundle of 20 KB no longer costs a grown buffer and a copy of it on every read. Dispose gives the
/// array back; until then <see cref="Written"/> is the JSON. Not thread-safe; one writer, then one reader.
/// </summary>
internal sealed class PooledJson : IBufferWriter<byte>, IDisposable
{
    private byte[] array;
    private int written;

    public PooledJson(int sizeHint) => array = ArrayPool<byte>.Shared.Rent(Math.Max(sizeHint, 256));

    public ReadOnlyMemory<byte> Written => array.AsMemory(0, written);

    public void Advance(int count)
    {
        if (count < 0 || written + count > array.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return array.AsMemory(written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return array.AsSpan(written);
    }

    public byte[] ToArray() => Written.ToArray();

    public void Dispose()
    {
        var rented = array;
        array = [];
        written = 0;
        if (rented.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private void Ensure(int sizeHint)
    {
        ObjectDisposedException.ThrowIf(array.Length == 0, this);
        var needed = written + Math.Max(sizeHint, 1);
        if (needed <= array.Length)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, checked(array.Length * 2)));
        array.AsSpan(0, written).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(array);
        array = larger;
    }
}
