// The server's APIs as the console calls them: S3 (XML), the KMS JSON API and the admin API, every call signed here.
import { base64, fromBase64, md5, Session, sha256Hex, signCos, signV4, uriEncode, wipe } from "./sign";

export const UNSIGNED = "UNSIGNED-PAYLOAD";

export class ApiError extends Error {
  constructor(public status: number, public code: string, message: string) {
    super(`${code}: ${message}`);
  }
}

let session: Session | null = null;

export function signIn(s: Session): void {
  signOut();
  session = s;
}

export function signOut(): void {
  if (session) wipe(session.secret);
  session = null;
}

export function current(): Session {
  if (!session) throw new ApiError(0, "NotSignedIn", "Sign in first.");
  return session;
}

export function isSignedIn(): boolean {
  return session !== null;
}

export function objectPath(bucket: string, key?: string): string {
  return "/" + uriEncode(bucket) + (key === undefined ? "/" : "/" + uriEncode(key, true));
}

export interface CallOptions {
  method?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  service?: "s3" | "kms";
  cos?: boolean;
}

function url(path: string, query: Record<string, string>): string {
  const q = Object.entries(query)
    .map(([k, v]) => (v === "" ? uriEncode(k) : `${uriEncode(k)}=${uriEncode(v)}`))
    .join("&");
  return path + (q ? "?" + q : "");
}

async function errorOf(response: Response): Promise<ApiError> {
  const text = await response.text();
  try {
    if (text.trimStart().startsWith("{")) {
      const json = JSON.parse(text);
      const type = String(json.__type ?? json.code ?? "Error");
      return new ApiError(response.status, type.includes("#") ? type.split("#")[1] : type, String(json.message ?? json.Message ?? ""));
    }
    const doc = new DOMParser().parseFromString(text, "application/xml");
    const code = doc.querySelector("Error > Code")?.textContent;
    if (code) return new ApiError(response.status, code, doc.querySelector("Error > Message")?.textContent ?? "");
  } catch {
    // fall through to the status alone
  }
  return new ApiError(response.status, `HTTP${response.status}`, response.statusText || "The request failed.");
}

/** A signed call; throws ApiError for any status >= 300. */
export async function call(path: string, options: CallOptions = {}): Promise<Response> {
  const s = current();
  const method = options.method ?? "GET";
  const query = options.query ?? {};
  const body = typeof options.body === "string" ? new TextEncoder().encode(options.body) : options.body;
  const headers = options.cos
    ? await signCos(s, method, path, query, options.headers ?? {})
    : await signV4(s, { method, path, query, headers: options.headers ?? {}, payloadHash: await sha256Hex(body ?? new Uint8Array()), service: options.service ?? "s3" });
  const response = await fetch(url(path, query), { method, headers, body: body as BodyInit | undefined, cache: "no-store", credentials: "omit", redirect: "error" });
  if (response.status >= 300) throw await errorOf(response);
  return response;
}

export async function xml(path: string, options: CallOptions = {}): Promise<Document> {
  const text = await (await call(path, options)).text();
  return new DOMParser().parseFromString(text, "application/xml");
}

export async function kms<T = any>(operation: string, input: object = {}): Promise<T> {
  const response = await call("/", {
    method: "POST",
    service: "kms",
    headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `TrentService.${operation}` },
    body: JSON.stringify(input),
  });
  const text = await response.text();
  return (text ? JSON.parse(text) : {}) as T;
}

export async function admin<T = any>(method: string, path: string, query: Record<string, string> = {}, body?: object): Promise<T> {
  const response = await call("/_coffer/admin/" + path, {
    method,
    query,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return (text ? JSON.parse(text) : {}) as T;
}

/** Content-MD5 of a body, for the calls S3 requires it on. */
export function contentMd5(body: string): string {
  return base64(md5(new TextEncoder().encode(body)));
}

/** The SSE-C headers of a 32-byte key (customer-key or copy-source). The key is sent only as a header, never in a URL. */
export function sseCustomerHeaders(key: Uint8Array, copySource = false): Record<string, string> {
  const p = copySource ? "x-amz-copy-source-server-side-encryption-customer-" : "x-amz-server-side-encryption-customer-";
  return { [p + "algorithm"]: "AES256", [p + "key"]: base64(key), [p + "key-md5"]: base64(md5(key)) };
}

/** A customer key from text: 44 characters of base64, or 32 characters taken as bytes. */
export function parseCustomerKey(text: string): Uint8Array {
  const t = text.trim();
  let key: Uint8Array | null = null;
  try {
    if (/^[A-Za-z0-9+/]{43}=$/.test(t)) key = fromBase64(t);
  } catch {
    key = null;
  }
  if (!key && new TextEncoder().encode(t).length === 32) key = new TextEncoder().encode(t);
  if (!key || key.length !== 32) throw new ApiError(0, "InvalidCustomerKey", "An SSE-C key is 32 bytes: type it as 44 characters of base64 (or 32 plain characters), or drop a file holding the 32 raw bytes or their base64.");
  return key;
}

export interface Progress {
  loaded: number;
}

/**
 * A signed upload by XMLHttpRequest, for its upload progress events. Returns the response headers; aborts when the
 * signal fires.
 */
export async function upload(path: string, query: Record<string, string>, headers: Record<string, string>, body: Blob, onProgress: (loaded: number) => void, signal: AbortSignal): Promise<(name: string) => string | null> {
  const signed = await signV4(current(), { method: "PUT", path, query, headers, payloadHash: UNSIGNED, service: "s3" });
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url(path, query));
    for (const [k, v] of Object.entries(signed)) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => {
      if (xhr.status >= 300) {
        const doc = new DOMParser().parseFromString(xhr.responseText || "<x/>", "application/xml");
        reject(new ApiError(xhr.status, doc.querySelector("Error > Code")?.textContent ?? `HTTP${xhr.status}`, doc.querySelector("Error > Message")?.textContent ?? ""));
      } else resolve((name) => xhr.getResponseHeader(name));
    };
    xhr.onerror = () => reject(new ApiError(0, "NetworkError", "The upload failed: the connection was lost."));
    xhr.onabort = () => reject(new ApiError(0, "Cancelled", "The upload was cancelled."));
    if (signal.aborted) return reject(new ApiError(0, "Cancelled", "The upload was cancelled."));
    signal.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}

export function text(node: Element | Document, selector: string): string {
  return node.querySelector(selector)?.textContent ?? "";
}

export function children(node: Element | Document, selector: string): Element[] {
  return Array.from(node.querySelectorAll(selector));
}
