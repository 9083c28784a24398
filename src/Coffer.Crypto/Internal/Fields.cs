using System.Buffers.Binary;
using System.Text;

namespace Coffer.Crypto.Internal;

/// <summary>
/// Unambiguous encoding of a sequence of fields for key-derivation info and associated data:
/// each field is its length as a 32-bit big-endian integer followed by its bytes (strings as UTF-8).
/// Length prefixes make ("ab","c") and ("a","bc") encode differently.
/// </summary>
internal static class Fields
{
    /// <summary>Encodes a label followed by string fields.</summary>
    public static byte[] Encode(ReadOnlySpan<byte> label, params ReadOnlySpan<string> fields)
    {
        int size = 4 + label.Length;
        foreach (string f in fields)
        {
            size += 4 + Encoding.UTF8.GetByteCount(f);
        }

        byte[] result = new byte[size];
        Span<byte> w = result;
        WriteField(ref w, label);
        foreach (string f in fields)
        {
            BinaryPrimitives.WriteUInt32BigEndian(w, (uint)Encoding.UTF8.GetByteCount(f));
            int n = Encoding.UTF8.GetBytes(f, w[4..]);
            w = w[(4 + n)..];
        }

        return result;
    }

    /// <summary>Writes one length-prefixed field and advances <paramref name="w"/>.</summary>
    public static void WriteField(ref Span<byte> w, ReadOnlySpan<byte> field)
    {
        BinaryPrimitives.WriteUInt32BigEndian(w, (uint)field.Length);
        field.CopyTo(w[4..]);
        w = w[(4 + field.Length)..];
    }

    /// <summary>Concatenates byte strings (not length-prefixed).</summary>
    public static byte[] Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        byte[] r = new byte[a.Length + b.Length];
        a.CopyTo(r);
        b.CopyTo(r.AsSpan(a.Length));
        return r;
    }
}
