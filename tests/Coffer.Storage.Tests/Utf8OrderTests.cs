using System.Text;

namespace Coffer.Storage.Tests;

public sealed class Utf8OrderTests
{
    private static readonly string[] Samples =
        ["", "a", "a-", "a/", "a\u0000", "b", "Z", "é", "ä", "\u07FF", "\u0800", "\uD7FF", "\uE000", "\uFF21", "\uFFFF", "😀", "\U0010FFFF", "a😀", "a\uFFFF", "ab"];

    [Fact]
    public void Compare_agrees_with_comparing_utf8_bytes_for_every_pair()
    {
        foreach (var a in Samples)
        {
            foreach (var b in Samples)
            {
                var expected = Math.Sign(Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b)));
                Assert.True(expected == Math.Sign(Utf8Order.Compare(a, b)), $"'{a}' vs '{b}'");
            }
        }
    }

    [Fact]
    public void Characters_above_the_basic_plane_sort_after_the_private_use_area_unlike_utf16()
    {
        Assert.True(string.CompareOrdinal("😀", "\uFF21") < 0);
        Assert.True(Utf8Order.Compare("😀", "\uFF21") > 0);
    }

    [Theory]
    [InlineData("a/", new byte[] { 0x61, 0x30 })]
    [InlineData("x¿", new byte[] { 0x78, 0xC2, 0xC0 })]
    [InlineData("", null)]
    public void The_successor_of_a_prefix_increments_its_last_byte(string prefix, byte[]? expected)
    {
        Assert.Equal(expected, Utf8Order.SuccessorOfPrefix(prefix));
    }
}
