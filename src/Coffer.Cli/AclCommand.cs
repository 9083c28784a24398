using System.CommandLine;
using Coffer.Sdk;

namespace Coffer.Cli;

/// <summary>
/// <c>coffer acl get|set</c> (the ACL of a bucket or an object), <c>coffer ownership get|set|rm</c> (a bucket's Object
/// Ownership) and <c>coffer public-access-block get|set|rm</c> (its Block Public Access flags): docs/protocol/acl.md.
/// </summary>
internal static class AclCommand
{
    public static Command Create() => new("acl", """
        The ACL of an object (cos://BUCKET/KEY) or of a bucket (cos://BUCKET).

        A grantee is a Coffer user id (64 hex digits; `coffer admin user list` shows them), all-users (anyone,
        unsigned included) or authenticated-users (any signed user). New buckets have ACLs off (Object Ownership
        BucketOwnerEnforced) unless the server runs with --bucket-defaults legacy: see `coffer ownership`.

        Examples:
          coffer acl get cos://photos/cat.jpg
          coffer acl set cos://photos/cat.jpg --canned public-read
          coffer acl set cos://photos --grant-read 3f0c…e1 --grant-read authenticated-users
        """)
    {
        Get(), Set(),
    };

    /// <summary><c>coffer ownership get|set|rm</c>.</summary>
    public static Command Ownership()
    {
        var get = new Command("get", "Show the bucket's Object Ownership (none set: exit code 3).\n\nExample:\n  coffer ownership get cos://photos") { BucketSetting.BucketArgument(), Output.JsonOption() };
        var value = new Argument<string>("setting") { Description = "BucketOwnerEnforced (ACLs off), BucketOwnerPreferred or ObjectWriter." };
        value.AcceptOnlyFromAmong("BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter");
        var set = new Command("set", "Set the bucket's Object Ownership.\n\nExample:\n  coffer ownership set cos://photos ObjectWriter") { BucketSetting.BucketArgument(), value, Output.JsonOption() };
        var rm = BucketSetting.Remove("ownership", "Object Ownership",
            "Remove the bucket's Object Ownership setting (it then behaves as ObjectWriter).\n\nExample:\n  coffer ownership rm cos://photos",
            (run, bucket, ct) => run.Connection.Client.DeleteBucketOwnershipControlsAsync(bucket, ct), "has no ownership setting now");
        BucketSetting.Wire(get, "Object Ownership", async (run, parse, bucket, ct) =>
        {
            var setting = (await run.Connection.Client.GetBucketOwnershipControlsAsync(bucket, ct)).ObjectOwnership;
            if (run.Json)
                Output.WriteJson(new { bucket, objectOwnership = setting });
            else
                Console.WriteLine(setting);
        });
        BucketSetting.Wire(set, "Object Ownership", async (run, parse, bucket, ct) =>
        {
            var setting = parse.GetValue(value)!;
            await run.Connection.Client.PutBucketOwnershipControlsAsync(bucket, setting, ct);
            if (run.Json)
                Output.WriteJson(new { bucket, objectOwnership = setting });
            else
                Console.WriteLine($"ownership: cos://{bucket} is {setting} now");
        });
        return new Command("ownership", """
            A bucket's Object Ownership: BucketOwnerEnforced turns ACLs off (the bucket owner owns every object);
            BucketOwnerPreferred and ObjectWriter keep them on.

            Examples:
              coffer ownership get cos://photos
              coffer ownership set cos://photos ObjectWriter
            """) { get, set, rm };
    }

    /// <summary><c>coffer public-access-block get|set|rm</c>.</summary>
    public static Command PublicAccessBlock()
    {
        var get = new Command("get", "Show the bucket's Block Public Access flags (none set: exit code 3).\n\nExample:\n  coffer public-access-block get cos://photos --json") { BucketSetting.BucketArgument(), Output.JsonOption() };
        var flags = new Argument<string[]>("flags")
        {
            Description = "The flags to turn on (the others go off): BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets, or all.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var set = new Command("set", "Set the bucket's Block Public Access flags: those named go on, the others off.\n\nExamples:\n  coffer public-access-block set cos://photos all\n  coffer public-access-block set cos://photos BlockPublicAcls IgnorePublicAcls") { BucketSetting.BucketArgument(), flags, Output.JsonOption() };
        var rm = BucketSetting.Remove("public-access-block", "Block Public Access",
            "Remove the bucket's Block Public Access flags (nothing is blocked then).\n\nExample:\n  coffer public-access-block rm cos://photos",
            (run, bucket, ct) => run.Connection.Client.DeletePublicAccessBlockAsync(bucket, ct), "blocks nothing now");
        BucketSetting.Wire(get, "Block Public Access", async (run, parse, bucket, ct) => Show(run, bucket, (await run.Connection.Client.GetPublicAccessBlockAsync(bucket, ct)).Configuration));
        BucketSetting.Wire(set, "Block Public Access", async (run, parse, bucket, ct) =>
        {
            var block = ParseFlags(parse.GetValue(flags) ?? []);
            await run.Connection.Client.PutPublicAccessBlockAsync(bucket, block, ct);
            Show(run, bucket, block);
        });
        return new Command("public-access-block", """
            A bucket's Block Public Access flags: BlockPublicAcls refuses new public ACLs, IgnorePublicAcls makes
            public grants count for nothing, BlockPublicPolicy and RestrictPublicBuckets do the same for bucket policies.

            Examples:
              coffer public-access-block get cos://photos
              coffer public-access-block set cos://photos all
              coffer public-access-block set cos://photos BlockPublicAcls
            """) { get, set, rm };
    }

    internal static PublicAccessBlock ParseFlags(IEnumerable<string> names)
    {
        bool acls = false, ignore = false, policy = false, restrict = false;
        foreach (var name in names)
        {
            switch (name.ToLowerInvariant())
            {
                case "all": acls = ignore = policy = restrict = true; break;
                case "blockpublicacls": acls = true; break;
                case "ignorepublicacls": ignore = true; break;
                case "blockpublicpolicy": policy = true; break;
                case "restrictpublicbuckets": restrict = true; break;
                default: throw new UsageException($"'{name}' is no Block Public Access flag; use BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets or all.");
            }
        }
        return new PublicAccessBlock(acls, ignore, policy, restrict);
    }

    private static void Show(Invocation run, string bucket, PublicAccessBlock block)
    {
        if (run.Json)
        {
            Output.WriteJson(new { bucket, block.BlockPublicAcls, block.IgnorePublicAcls, block.BlockPublicPolicy, block.RestrictPublicBuckets });
            return;
        }
        Output.Table(["FLAG", "ON"],
        [
            ["BlockPublicAcls", Yes(block.BlockPublicAcls)], ["IgnorePublicAcls", Yes(block.IgnorePublicAcls)],
            ["BlockPublicPolicy", Yes(block.BlockPublicPolicy)], ["RestrictPublicBuckets", Yes(block.RestrictPublicBuckets)],
        ]);
        static string Yes(bool on) => on ? "yes" : "no";
    }

    private static Argument<string> PathArgument() => new("path") { Description = "The object (cos://BUCKET/KEY) or the bucket (cos://BUCKET)." };

    private static RemotePath Target(Invocation run, string text)
    {
        var path = RemotePath.Parse(text);
        if (path.Key.EndsWith('/'))
            throw new UsageException($"'{text}' names a folder; an ACL belongs to one object (cos://{path.Bucket}/KEY) or to the bucket (cos://{path.Bucket}).");
        run.Target = path;
        return path;
    }

    private static string Describe(RemotePath path) => path.Key.Length == 0 ? $"cos://{path.Bucket}" : path.ToString();

    /// <summary>A grantee argument as a grant header item: a user id, all-users or authenticated-users.</summary>
    internal static string GranteeItem(string grantee) => grantee.ToLowerInvariant() switch
    {
        "all-users" => "uri=\"http://acs.amazonaws.com/groups/global/AllUsers\"",
        "authenticated-users" => "uri=\"http://acs.amazonaws.com/groups/global/AuthenticatedUsers\"",
        _ when grantee.Length == 64 && grantee.All(char.IsAsciiHexDigitLower) => $"id=\"{grantee}\"",
        _ => throw new UsageException($"'{grantee}' is no grantee; give a user id (64 lowercase hex digits), all-users or authenticated-users."),
    };

    private static Command Set()
    {
        var path = PathArgument();
        var canned = new Option<string>("--canned") { Description = "A canned ACL: private, public-read, public-read-write, authenticated-read (objects also bucket-owner-read, bucket-owner-full-control)." };
        Option<string[]> Grant(string name, string what) => new(name) { Description = $"Grant {what} to a user id, all-users or authenticated-users (repeatable).", AllowMultipleArgumentsPerToken = false };
        var read = Grant("--grant-read", "READ (bucket: list; object: read)");
        var write = Grant("--grant-write", "WRITE (buckets only: write and delete objects)");
        var readAcp = Grant("--grant-read-acp", "READ_ACP (read the ACL)");
        var writeAcp = Grant("--grant-write-acp", "WRITE_ACP (change the ACL)");
        var full = Grant("--grant-full-control", "FULL_CONTROL");
        var json = Output.JsonOption();
        var command = new Command("set", """
            Replace the ACL of an object or a bucket: a canned ACL, or grants (not both).

            Examples:
              coffer acl set cos://photos/cat.jpg --canned public-read
              coffer acl set cos://photos --grant-read authenticated-users --grant-write 3f0c…e1
            """) { path, canned, read, write, readAcp, writeAcp, full, json };
        command.SetAction((parse, ct) => Output.RunAsync(parse, json, async (run, ct) =>
        {
            var target = Target(run, parse.GetValue(path)!);
            string? Header(Option<string[]> option) => parse.GetValue(option) is { Length: > 0 } items ? string.Join(", ", items.Select(GranteeItem)) : null;
            var request = new PutAclRequest
            {
                ACL = parse.GetValue(canned),
                GrantRead = Header(read),
                GrantWrite = Header(write),
                GrantReadAcp = Header(readAcp),
                GrantWriteAcp = Header(writeAcp),
                GrantFullControl = Header(full),
            };
            var grants = new[] { request.GrantRead, request.GrantWrite, request.GrantReadAcp, request.GrantWriteAcp, request.GrantFullControl }.Any(g => g is not null);
            if (request.ACL is null == !grants)
                throw new UsageException("Give either --canned or --grant-* options (one of them, not both).");
            if (request.GrantWrite is not null && target.Key.Length > 0)
                throw new UsageException("--grant-write applies to buckets only: an object has no WRITE permission.");
            if (target.Key.Length == 0)
                await run.Connection.Client.PutBucketAclAsync(target.Bucket, request, ct);
            else
                await run.Connection.Client.PutObjectAclAsync(target.Bucket, target.Key, request, ct);
            if (run.Json)
                Output.WriteJson(new { path = Describe(target), updated = true });
            else
                Console.WriteLine($"acl: {Describe(target)} has a new ACL");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Get()
    {
        var path = PathArgument();
        var json = Output.JsonOption();
        var command = new Command("get", """
            Show the owner and the grants in force of an object or a bucket.

            Examples:
              coffer acl get cos://photos/cat.jpg
              coffer acl get cos://photos --json
            """) { path, json };
        command.SetAction((parse, ct) => Output.RunAsync(parse, json, async (run, ct) =>
        {
            var target = Target(run, parse.GetValue(path)!);
            var acl = target.Key.Length == 0
                ? await run.Connection.Client.GetBucketAclAsync(target.Bucket, ct)
                : await run.Connection.Client.GetObjectAclAsync(target.Bucket, target.Key, ct);
            if (run.Json)
            {
                Output.WriteJson(new
                {
                    path = Describe(target),
                    owner = new { id = acl.OwnerId, name = acl.OwnerDisplayName },
                    grants = acl.Grants.Select(g => new { id = g.Id, uri = g.Uri, name = g.DisplayName, permission = g.Permission }),
                });
                return ExitCodes.Ok;
            }
            Console.WriteLine($"owner: {acl.OwnerDisplayName ?? acl.OwnerId} ({acl.OwnerId})");
            Output.Table(["GRANTEE", "PERMISSION"], acl.Grants.Select(g => new[] { Grantee(g), g.Permission }));
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static string Grantee(CosGrant g) => g.Uri switch
    {
        null => g.DisplayName is null || g.DisplayName == g.Id ? g.Id ?? "" : $"{g.DisplayName} ({g.Id})",
        var uri when uri.EndsWith("/AllUsers", StringComparison.Ordinal) => "all-users",
        var uri when uri.EndsWith("/AuthenticatedUsers", StringComparison.Ordinal) => "authenticated-users",
        var uri => uri,
    };
}
