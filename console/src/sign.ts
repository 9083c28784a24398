// Request signing in the browser: AWS Signature Version 4 (HMAC-SHA256 through WebCrypto) for S3, KMS and the admin
// API, and the COS v5 signature (HMAC-SHA1) for the calls only COS offers (SM4 default encryption). The secret is held
// as bytes in page memory only and zeroed at sign-out; no storage API ever sees it.

const encoder = new TextEncoder();

export interface Session {
  accessKeyId: string;
  /** The secret's UTF-8 bytes; zeroed by signOut. */
  secret: Uint8Array;
  sessionToken?: string;
  region: string;
}

export function wipe(bytes: Uint8Array): void {
  bytes.fill(0);
}

function hex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function hmac(hash: "SHA-256" | "SHA-1", key: Uint8Array | ArrayBuffer, data: string): Promise<ArrayBuffer> {
  const k = await crypto.subtle.importKey("raw", key as BufferSource, { name: "HMAC", hash }, false, ["sign"]);
  return crypto.subtle.sign("HMAC", k, encoder.encode(data));
}

export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", (typeof data === "string" ? encoder.encode(data) : data) as BufferSource));
}

/** RFC 3986 percent-encoding, as SigV4 wants it; "/" kept when encoding a path. */
export function uriEncode(text: string, keepSlash = false): string {
  const encoded = encodeURIComponent(text).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
  return keepSlash ? encoded.replace(/%2F/g, "/") : encoded;
}

export function canonicalQuery(query: Record<string, string>): string {
  return Object.keys(query)
    .map((k) => [uriEncode(k), uriEncode(query[k])] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
}

export interface SignInput {
  method: string;
  /** The path exactly as it goes on the wire (already encoded). */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** The payload's SHA-256 in hex, or UNSIGNED-PAYLOAD. */
  payloadHash: string;
  service: "s3" | "kms";
}

/** Adds x-amz-date, x-amz-content-sha256, the session token and Authorization to the headers (which it returns). */
export async function signV4(session: Session, input: SignInput, now = new Date()): Promise<Record<string, string>> {
  const amzDate = now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.headers)) headers[k.toLowerCase()] = v;
  headers["x-amz-date"] = amzDate;
  headers["x-amz-content-sha256"] = input.payloadHash;
  if (session.sessionToken) headers["x-amz-security-token"] = session.sessionToken;
  const signed: Record<string, string> = { host: location.host, ...headers };
  const names = Object.keys(signed).sort();
  const canonicalHeaders = names.map((n) => `${n}:${signed[n].trim().replace(/\s+/g, " ")}\n`).join("");
  const signedHeaders = names.join(";");
  const canonicalRequest = [input.method, input.path, canonicalQuery(input.query), canonicalHeaders, signedHeaders, input.payloadHash].join("\n");
  const scope = `${day}/${session.region}/${input.service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, await sha256Hex(canonicalRequest)].join("\n");
  const prefix = encoder.encode("AWS4");
  const keyBytes = new Uint8Array(prefix.length + session.secret.length);
  keyBytes.set(prefix);
  keyBytes.set(session.secret, prefix.length);
  try {
    let key = await hmac("SHA-256", keyBytes, day);
    key = await hmac("SHA-256", key, session.region);
    key = await hmac("SHA-256", key, input.service);
    key = await hmac("SHA-256", key, "aws4_request");
    const signature = hex(await hmac("SHA-256", key, stringToSign));
    headers["authorization"] = `AWS4-HMAC-SHA256 Credential=${session.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  } finally {
    wipe(keyBytes);
  }
  return headers;
}

/** COS v5 (q-sign-algorithm=sha1): for the calls only the COS family takes. Adds Authorization to the headers. */
export async function signCos(session: Session, method: string, path: string, query: Record<string, string>, headers: Record<string, string>): Promise<Record<string, string>> {
  const start = Math.floor(Date.now() / 1000) - 60;
  const keyTime = `${start};${start + 900}`;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v;
  if (session.sessionToken) out["x-cos-security-token"] = session.sessionToken;
  const signed: Record<string, string> = { host: location.host, ...out };
  const headerNames = Object.keys(signed).map((n) => n.toLowerCase()).sort();
  const paramNames = Object.keys(query).map((n) => n.toLowerCase()).sort();
  const lowerQuery: Record<string, string> = {};
  for (const [k, v] of Object.entries(query)) lowerQuery[k.toLowerCase()] = v;
  const httpString = [
    method.toLowerCase(),
    decodeURIComponent(path),
    paramNames.map((n) => `${uriEncode(n)}=${uriEncode(lowerQuery[n])}`).join("&"),
    headerNames.map((n) => `${uriEncode(n)}=${uriEncode(signed[n])}`).join("&"),
    "",
  ].join("\n");
  const sha1 = hex(await crypto.subtle.digest("SHA-1", encoder.encode(httpString)));
  const signKey = hex(await hmac("SHA-1", session.secret, keyTime));
  const signature = hex(await hmac("SHA-1", encoder.encode(signKey), `sha1\n${keyTime}\n${sha1}\n`));
  out["authorization"] = `q-sign-algorithm=sha1&q-ak=${session.accessKeyId}&q-sign-time=${keyTime}&q-key-time=${keyTime}&q-header-list=${headerNames.join(";")}&q-url-param-list=${paramNames.join(";")}&q-signature=${signature}`;
  return out;
}

// MD5, which WebCrypto lacks and SSE-C (the customer key's MD5) and Content-MD5 need. RFC 1321.
const S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
const K = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) >>> 0);

export function md5(data: Uint8Array): Uint8Array {
  const length = data.length;
  const padded = new Uint8Array((((length + 8) >> 6) + 1) * 64);
  padded.set(data);
  padded[length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, (length * 8) >>> 0, true);
  view.setUint32(padded.length - 4, Math.floor(length / 0x20000000), true);
  let a0 = 0x67452301, b0 = 0xefcdab89, c0 = 0x98badcfe, d0 = 0x10325476;
  const m = new Uint32Array(16);
  for (let off = 0; off < padded.length; off += 64) {
    for (let i = 0; i < 16; i++) m[i] = view.getUint32(off + i * 4, true);
    let a = a0, b = b0, c = c0, d = d0;
    for (let i = 0; i < 64; i++) {
      let f: number, g: number;
      if (i < 16) { f = (b & c) | (~b & d); g = i; }
      else if (i < 32) { f = (d & b) | (~d & c); g = (5 * i + 1) % 16; }
      else if (i < 48) { f = b ^ c ^ d; g = (3 * i + 5) % 16; }
      else { f = c ^ (b | ~d); g = (7 * i) % 16; }
      const t = d;
      d = c;
      c = b;
      const sum = (a + f + K[i] + m[g]) >>> 0;
      const s = S[(i >> 4) * 4 + (i % 4)];
      b = (b + ((sum << s) | (sum >>> (32 - s)))) >>> 0;
      a = t;
    }
    a0 = (a0 + a) >>> 0; b0 = (b0 + b) >>> 0; c0 = (c0 + c) >>> 0; d0 = (d0 + d) >>> 0;
  }
  const out = new Uint8Array(16);
  const ov = new DataView(out.buffer);
  [a0, b0, c0, d0].forEach((w, i) => ov.setUint32(i * 4, w, true));
  return out;
}

export function base64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}
