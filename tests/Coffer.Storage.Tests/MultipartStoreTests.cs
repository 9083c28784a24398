namespace Coffer.Storage.Tests;

/// <summary>How the SQLite store finds uploads (the multipart semantics are <see cref="Coffer.Testing.Contracts.MultipartStoreContract{TStore}"/>'s).</summary>
public sealed class SqliteMultipartPlanTests : MetadataStoreTests
{
    [Theory]
    [InlineData(SqliteMetadataStore.SeekUploadsSql)]
    [InlineData(SqliteMetadataStore.SeekUploadsAfterKeySql)]
    public async Task Upload_listing_seeks_in_the_key_index_without_sorting(string sql)
    {
        var plan = await Store.ExplainAsync(sql);
        Assert.Contains("SEARCH multipart_uploads USING INDEX multipart_uploads_by_key", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("TEMP B-TREE", plan, StringComparison.Ordinal);
    }
}
