// Drives the official COS Node.js SDK (cos-nodejs-sdk-v5) against a local Coffer server and
// prints one JSON line with what it saw. Run by Coffer.Security.Tests (AuthClientProofTests);
// the test checks the results. Usage: node proof.js <objects|sse-c|multipart|presign|access>
//
// Environment: COS_SECRET_ID, COS_SECRET_KEY, COS_BUCKET (name-appid), COS_REGION,
// COS_DOMAIN ('{Bucket}.coffer.test'), COS_IP (127.0.0.1:port), COS_PROTOCOL ("http:" or "https:"), COS_TMP (a scratch folder).
// For HTTPS, NODE_EXTRA_CA_CERTS names the server's certificate. The access scenario also needs a second user:
// COS_SECOND_ID, COS_SECOND_KEY (access key pair), COS_SECOND_NAME (user name), COS_SECOND_UIN (user id).
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const COS = require('cos-nodejs-sdk-v5');

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error('missing environment variable ' + name);
  return v;
};

// Domain '{Bucket}.coffer.test' (the server's virtual-host domain, which its certificate names
// as *.coffer.test) makes the SDK build and sign https://<bucket>.coffer.test/<key>; the Ip option
// then sends the request to the local server, keeping that Host, so TLS verifies the host name
// against the server's certificate (NODE_EXTRA_CA_CERTS) as it would against real COS
// (cos-s3-reference.md §2.3). The default COS host name would need a certificate for *.myqcloud.com.
const cos = new COS({
  SecretId: env('COS_SECRET_ID'),
  SecretKey: env('COS_SECRET_KEY'),
  Protocol: env('COS_PROTOCOL'),
  Domain: env('COS_DOMAIN'),
  Ip: env('COS_IP'),
  Timeout: 60000,
});
const Bucket = env('COS_BUCKET');
const Region = env('COS_REGION');

const call = (method, params) =>
  new Promise((resolve, reject) => cos[method]({ Bucket, Region, ...params }, (err, data) => (err ? reject(wrap(method, err)) : resolve(data))));

function wrap(method, err) {
  const e = new Error(method + ' failed: ' + JSON.stringify({ statusCode: err.statusCode, code: err.code, message: err.message, error: err.error }));
  return e;
}

async function objects() {
  await call('putBucket', {});
  const body = 'hello from the COS Node SDK';
  const put = await call('putObject', {
    Key: 'node/hello.txt',
    Body: body,
    ServerSideEncryption: 'AES256',
    Headers: { 'x-cos-meta-origin': 'node-sdk' },
  });
  const head = await call('headObject', { Key: 'node/hello.txt' });
  const get = await call('getObject', { Key: 'node/hello.txt' });
  const list = await call('getBucket', { Prefix: 'node/' });
  return {
    putStatus: put.statusCode,
    headSse: head.headers['x-cos-server-side-encryption'],
    headMeta: head.headers['x-cos-meta-origin'],
    body: get.Body.toString(),
    keys: list.Contents.map((c) => c.Key),
  };
}

async function sseC() {
  await call('putBucket', {});
  const key = crypto.randomBytes(32);
  const sse = {
    'x-cos-server-side-encryption-customer-algorithm': 'AES256',
    'x-cos-server-side-encryption-customer-key': key.toString('base64'),
    'x-cos-server-side-encryption-customer-key-MD5': crypto.createHash('md5').update(key).digest('base64'),
  };
  await call('putObject', { Key: 'node/secret.txt', Body: 'customer-keyed', Headers: sse });
  const head = await call('headObject', { Key: 'node/secret.txt', Headers: sse });
  const get = await call('getObject', { Key: 'node/secret.txt', Headers: sse });
  let withoutKey;
  try {
    await call('getObject', { Key: 'node/secret.txt' });
    withoutKey = 'served';
  } catch (e) {
    withoutKey = 'refused';
  }
  return { headAlgorithm: head.headers['x-cos-server-side-encryption-customer-algorithm'], body: get.Body.toString(), withoutKey };
}

async function multipart() {
  await call('putBucket', {});
  const file = path.join(env('COS_TMP'), 'slice.bin');
  const data = crypto.randomBytes(2 * 1024 * 1024 + 12345);
  fs.writeFileSync(file, data);
  const up = await call('sliceUploadFile', { Key: 'node/big.bin', FilePath: file, ChunkSize: 1024 * 1024 });
  const got = await call('getObject', { Key: 'node/big.bin' });
  return {
    location: up.Location,
    size: got.Body.length,
    sameBytes: Buffer.compare(got.Body, data) === 0,
  };
}

async function presign() {
  await call('putBucket', {});
  await call('putObject', { Key: 'node/shared.txt', Body: 'shared by a presigned URL' });
  const url = await new Promise((resolve, reject) =>
    cos.getObjectUrl({ Bucket, Region, Key: 'node/shared.txt', Sign: true, Expires: 600 }, (err, data) => (err ? reject(err) : resolve(data.Url))));
  return { url };
}

// Who may do what, in the COS dialect: the owner puts a COS-style bucket policy (qcs::cam::uin/… principal,
// name/cos:… actions, qcs::cos:… resources) and reads it back; the second user's getObject is allowed where the
// policy allows it and refused elsewhere (an explicit deny included); the owner grants the second user READ with
// putBucketAcl and reads the ACL back, then the second user lists; the owner puts a CORS rule and a preflight
// (optionsObject) from its origin is answered from it, one from another origin refused.
async function access() {
  const second = new COS({
    SecretId: env('COS_SECOND_ID'),
    SecretKey: env('COS_SECOND_KEY'),
    Protocol: env('COS_PROTOCOL'),
    Domain: env('COS_DOMAIN'),
    Ip: env('COS_IP'),
    Timeout: 60000,
  });
  const name = env('COS_SECOND_NAME');
  const uin = env('COS_SECOND_UIN');
  const asSecond = (method, params) =>
    new Promise((resolve) =>
      second[method]({ Bucket, Region, ...params }, (err, data) =>
        resolve(err ? { refused: true, statusCode: err.statusCode, code: err.code || (err.error && err.error.Code) } : { refused: false, data })));
  const appid = Bucket.slice(Bucket.lastIndexOf('-') + 1);
  const resource = (pattern) => `qcs::cos:${Region}:uid/${appid}:${Bucket}/${pattern}`;

  // ACLs on (ObjectWriter), as COS buckets have them; S3's new-bucket default would turn them off.
  await call('putBucket', { Headers: { 'x-cos-object-ownership': 'ObjectWriter' } });
  await call('putObject', { Key: 'shared/a.txt', Body: 'shared with the second user' });
  await call('putObject', { Key: 'shared/denied.txt', Body: 'denied by name' });
  await call('putObject', { Key: 'private/b.txt', Body: 'the owner only' });
  const beforePolicy = await asSecond('getObject', { Key: 'shared/a.txt' });

  const Policy = {
    version: '2.0',
    statement: [
      { principal: { qcs: [`qcs::cam::uin/100000000001:uin/${name}`] }, effect: 'allow', action: ['name/cos:GetObject'], resource: [resource('shared/*')] },
      { principal: { qcs: [`qcs::cam::uin/100000000001:uin/${name}`] }, effect: 'deny', action: ['name/cos:GetObject'], resource: [resource('shared/denied*')] },
    ],
  };
  const putPolicy = await call('putBucketPolicy', { Policy });
  const gotPolicy = await call('getBucketPolicy', {});
  const allowed = await asSecond('getObject', { Key: 'shared/a.txt' });
  const denied = await asSecond('getObject', { Key: 'shared/denied.txt' });
  const outside = await asSecond('getObject', { Key: 'private/b.txt' });
  const secondPutsPolicy = await asSecond('putBucketPolicy', { Policy: { version: '2.0', statement: [] } });
  const listBeforeAcl = await asSecond('getBucket', {});

  const grantee = `id="qcs::cam::uin/${uin}:uin/${uin}"`;
  const putAcl = await call('putBucketAcl', { GrantRead: grantee });
  const gotAcl = await call('getBucketAcl', {});
  const listAfterAcl = await asSecond('getBucket', {});
  const secondPutsAcl = await asSecond('putBucketAcl', { ACL: 'public-read' });

  const CORSRules = [{ AllowedOrigin: ['https://app.example'], AllowedMethod: ['GET', 'PUT'], AllowedHeader: ['*'], ExposeHeader: ['ETag'], MaxAgeSeconds: '600' }];
  const putCors = await call('putBucketCors', { CORSRules });
  const gotCors = await call('getBucketCors', {});
  const preflight = await call('optionsObject', { Key: 'shared/a.txt', Origin: 'https://app.example', AccessControlRequestMethod: 'PUT', AccessControlRequestHeaders: 'content-type' });
  const otherOrigin = await call('optionsObject', { Key: 'shared/a.txt', Origin: 'https://evil.example', AccessControlRequestMethod: 'PUT', AccessControlRequestHeaders: 'content-type' });

  return {
    beforePolicy: { refused: beforePolicy.refused, statusCode: beforePolicy.statusCode },
    putPolicyStatus: putPolicy.statusCode,
    policy: gotPolicy.Policy,
    allowed: allowed.refused ? allowed : allowed.data.Body.toString(),
    denied: { refused: denied.refused, statusCode: denied.statusCode },
    outside: { refused: outside.refused, statusCode: outside.statusCode },
    secondPutsPolicy: { refused: secondPutsPolicy.refused, statusCode: secondPutsPolicy.statusCode },
    listBeforeAcl: { refused: listBeforeAcl.refused, statusCode: listBeforeAcl.statusCode },
    putAclStatus: putAcl.statusCode,
    acl: gotAcl.AccessControlPolicy || { GrantRead: gotAcl.GrantRead, Grants: gotAcl.Grants },
    grantRead: gotAcl.GrantRead,
    listAfterAcl: listAfterAcl.refused ? listAfterAcl : (listAfterAcl.data.Contents || []).map((c) => c.Key),
    secondPutsAcl: { refused: secondPutsAcl.refused, statusCode: secondPutsAcl.statusCode },
    putCorsStatus: putCors.statusCode,
    cors: gotCors.CORSRules,
    preflight: {
      statusCode: preflight.statusCode,
      allowOrigin: preflight.AccessControlAllowOrigin,
      allowMethods: preflight.AccessControlAllowMethods,
      allowHeaders: preflight.AccessControlAllowHeaders,
      maxAge: preflight.AccessControlMaxAge,
    },
    otherOrigin: { forbidden: !!otherOrigin.OptionsForbidden, statusCode: otherOrigin.statusCode, allowOrigin: otherOrigin.AccessControlAllowOrigin || null },
  };
}

const scenarios = { objects, 'sse-c': sseC, multipart, presign, access };
const name = process.argv[2];
if (!scenarios[name]) {
  console.error('unknown scenario ' + name);
  process.exit(2);
}
scenarios[name]().then(
  (result) => console.log(JSON.stringify(result)),
  (err) => {
    console.error(err && err.message ? err.message : String(err));
    process.exit(1);
  }
);
