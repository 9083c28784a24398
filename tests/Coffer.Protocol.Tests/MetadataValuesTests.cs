using System.Text;

namespace Coffer.Protocol.Tests;

public sealed class MetadataValuesTests
{
    [Theory]
    [InlineData("")]
    [InlineData("plain value")]
    [InlineData("~!@#$%^&*()_+{}|:\"<>?`-=[]\\;',./")]
    [InlineData("=?UTF-8?B?aGk=?=")] // ASCII that looks like a word still goes as is (as S3 does)
    public void Printable_ascii_goes_out_as_is(string value) => Assert.Equal(value, MetadataValues.Encode(value));

    [Theory]
    [InlineData("腾讯云", "=?UTF-8?B?6IW+6K6v5LqR?=")]
    [InlineData("tab\there", "=?UTF-8?B?dGFiCWhlcmU=?=")]
    public void Anything_else_goes_out_as_one_b_word_when_short(string value, string expected) =>
        Assert.Equal(expected, MetadataValues.Encode(value));

    [Fact]
    public void Long_values_are_split_into_words_of_at_most_75_characters_on_character_boundaries()
    {
        // 3-byte and 4-byte characters, so a 45-byte cut would fall inside one.
        var value = string.Concat(Enumerable.Repeat("中🙂", 30));
        var encoded = MetadataValues.Encode(value);
        var words = encoded.Split(' ');
        Assert.True(words.Length > 1);
        var text = new StringBuilder();
        foreach (var word in words)
        {
            Assert.True(word.Length <= 75, word);
            Assert.StartsWith("=?UTF-8?B?", word, StringComparison.Ordinal);
            // Each word alone is whole UTF-8.
            text.Append(new UTF8Encoding(false, true).GetString(Convert.FromBase64String(word[10..^2])));
        }
        Assert.Equal(value, text.ToString());
        Assert.Equal(value, MetadataValues.Decode(encoded));
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("=?UTF-8?B?6IW+6K6v5LqR?=", "腾讯云")]
    [InlineData("=?utf-8?b?6IW+6K6v5LqR?=", "腾讯云")]
    [InlineData("=?UTF-8?Q?caf=C3=A9_au_lait?=", "café au lait")]
    [InlineData("=?UTF-8?B?6IW+?= =?UTF-8?Q?=E8=AE=AF?=\t=?UTF-8?B?5LqR?=", "腾讯云")] // white space between words is dropped
    [InlineData("=?UTF-8?B?6IW+?=x", "=?UTF-8?B?6IW+?=x")]                       // not only words: literal
    [InlineData("=?ISO-8859-1?Q?caf=E9?=", "=?ISO-8859-1?Q?caf=E9?=")]           // other charsets: literal
    [InlineData("=?UTF-8?B?not base64!?=", "=?UTF-8?B?not base64!?=")]
    [InlineData("=?UTF-8?Q?a=4?=", "=?UTF-8?Q?a=4?=")]                          // truncated escape
    [InlineData("=?UTF-8?X?abc?=", "=?UTF-8?X?abc?=")]
    [InlineData("=?UTF-8?B?6IW+", "=?UTF-8?B?6IW+")]
    public void Received_values_are_decoded_only_when_they_are_all_utf8_words(string value, string expected) =>
        Assert.Equal(expected, MetadataValues.Decode(value));

    [Fact]
    public void Words_whose_bytes_are_not_utf8_decode_to_null() =>
        Assert.Null(MetadataValues.Decode("=?UTF-8?B?" + Convert.ToBase64String(new byte[] { 0x61, 0xC3 }) + "?="));

    [Theory]
    [InlineData("腾讯云 🔐 café")]
    [InlineData("tab\tis fine")]
    [InlineData("")]
    public void Text_without_controls_has_no_problem(string value) => Assert.Null(MetadataValues.Problem(value));

    [Theory]
    [InlineData("a\u0000b", "U+0000")]
    [InlineData("a\rb", "U+000D")]
    [InlineData("a\nb", "U+000A")]
    [InlineData("a\u001Fb", "U+001F")]
    [InlineData("a\u007Fb", "U+007F")]
    [InlineData("a\u009Fb", "U+009F")]
    [InlineData("a\uFFFDb", "U+FFFD")]
    public void Controls_and_replacement_characters_are_problems(string value, string named) =>
        Assert.Contains(named, MetadataValues.Problem(value), StringComparison.Ordinal);

    [Fact]
    public void A_lone_surrogate_is_a_problem() =>
        // Built at run time: a lone surrogate does not survive as an attribute argument.
        Assert.Contains("surrogate", MetadataValues.Problem("a" + (char)0xD800 + "b"), StringComparison.Ordinal);

    [Fact]
    public void Every_encoded_value_decodes_back()
    {
        foreach (var value in new[] { "x", "é", "中文", "🙂", "a\tb", new string('é', 200), "mixed ASCII 和中文 and 🙂 emoji" })
            Assert.Equal(value, MetadataValues.Decode(MetadataValues.Encode(value)));
    }
}
