// Objects: prefix navigation, search by prefix, sort, paging; uploads (drag and drop or the file picker) with a
// progress bar each, multipart with parallel parts for large files, cancel; SSE per upload; download, delete, copy with
// a change of encryption, restore; and an object's details page.
import { ApiError, call, children, current, objectPath, parseCustomerKey, sseCustomerHeaders, text, upload, xml } from "./api";
import { kmsKeyOptions } from "./buckets";
import { base64, md5 } from "./sign";
import { bytes, confirmDialog, date, field, h, select, status, table } from "./ui";

const PAGE = 100;
const PARALLEL_PARTS = 3;
const MiB = 1024 * 1024;

/** The SSE headers an upload or copy asks for; SSE-C keys stay in page memory. */
interface SseChoice {
  headers(): Record<string, string>;
  el: HTMLElement;
}

function sseChooser(keys: [string, string][], label = "Encryption of the upload"): SseChoice {
  const mode = select("sse", [["", "Bucket default"], ["AES256", "SSE-COS (AES256)"], ["aws:kms", "SSE-KMS"], ["C", "SSE-C (your key)"]]);
  const key = select("kmsKey", [["", "The default KMS key"], ...keys]);
  const context = h("input", { name: "kmsContext", placeholder: '{"project":"x"}', spellcheck: "false" });
  const customer = h("input", { name: "customerKey", type: "password", autocomplete: "off", spellcheck: "false" });
  const keyFile = h("input", { name: "customerKeyFile", type: "file" });
  let customerKey: Uint8Array | null = null;
  keyFile.addEventListener("change", async () => {
    const f = keyFile.files?.[0];
    if (!f) return;
    const raw = new Uint8Array(await f.arrayBuffer());
    customerKey = raw.length === 32 ? raw : parseCustomerKey(new TextDecoder().decode(raw));
    customer.value = "";
    customer.placeholder = `key from ${f.name}`;
    keyFile.value = "";
  });
  const kmsFields = h("div", {}, field("KMS key", key), field("Encryption context (JSON, optional)", context));
  const cFields = h("div", {}, field("SSE-C key (base64 of 32 bytes)", customer, "Held in this page's memory only, sent in headers only."), field("…or a key file", keyFile));
  const sync = () => {
    kmsFields.hidden = mode.value !== "aws:kms";
    cFields.hidden = mode.value !== "C";
  };
  mode.addEventListener("change", sync);
  sync();
  return {
    el: h("fieldset", {}, h("legend", {}, label), field("Mode", mode), kmsFields, cFields),
    headers() {
      switch (mode.value) {
        case "AES256":
          return { "x-amz-server-side-encryption": "AES256" };
        case "aws:kms": {
          const out: Record<string, string> = { "x-amz-server-side-encryption": "aws:kms" };
          if (key.value) out["x-amz-server-side-encryption-aws-kms-key-id"] = key.value;
          if (context.value.trim()) {
            JSON.parse(context.value);
            out["x-amz-server-side-encryption-context"] = btoa(unescape(encodeURIComponent(context.value.trim())));
          }
          return out;
        }
        case "C":
          return sseCustomerHeaders(customer.value ? parseCustomerKey(customer.value) : customerKey ?? parseCustomerKey(""));
        default:
          return {};
      }
    },
  };
}

export async function objectsSection(root: HTMLElement, bucket: string, prefix: string): Promise<void> {
  const st = status();
  const keys = await kmsKeyOptions();
  const search = h("input", { name: "prefix", value: prefix, type: "search", spellcheck: "false" });
  const searchForm = h("form", { class: "inline", role: "search", "aria-label": "Search by prefix" }, field("Prefix", search), h("button", { type: "submit" }, "Search"));
  searchForm.addEventListener("submit", (e) => {
    e.preventDefault();
    location.hash = `#/bucket/${encodeURIComponent(bucket)}/${encodeURIComponent(search.value)}`;
  });
  const crumbs = h("p", { class: "crumbs", "aria-label": "Prefix" }, h("a", { href: `#/bucket/${encodeURIComponent(bucket)}` }, bucket + "/"));
  let acc = "";
  for (const part of prefix.split("/").slice(0, -1)) {
    acc += part + "/";
    crumbs.append(h("a", { href: `#/bucket/${encodeURIComponent(bucket)}/${encodeURIComponent(acc)}` }, part + "/"));
  }
  const listing = h("div");
  const more = h("button", { type: "button", hidden: true }, "Next page");
  let token = "";
  let sortBy: "key" | "size" | "modified" = "key";
  let rows: { key: string; size: number; modified: string; storageClass: string; mode: HTMLElement }[] = [];
  let folders: string[] = [];

  const uploads = h("section", { "aria-label": "Uploads" });
  const sse = sseChooser(keys);
  const partSize = h("input", { name: "partSize", type: "number", min: 5, max: 512, value: 8 });
  const storageClass = select("storageClass", [["", "Standard (the default)"], ["STANDARD_IA", "Standard-IA"], ["INTELLIGENT_TIERING", "Intelligent tiering"], ["GLACIER", "Archive (GLACIER)"], ["DEEP_ARCHIVE", "Deep archive"]]);
  const fileInput = h("input", { name: "files", type: "file", multiple: true });
  const drop = h("div", { class: "dropzone", tabindex: "0", role: "button" }, "Drop files here to upload them, or press Enter to choose files");
  drop.addEventListener("keydown", (e) => {
    if ((e as KeyboardEvent).key === "Enter" || (e as KeyboardEvent).key === " ") {
      e.preventDefault();
      fileInput.click();
    }
  });
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    startUploads(Array.from((e as DragEvent).dataTransfer?.files ?? []));
  });
  fileInput.addEventListener("change", () => {
    startUploads(Array.from(fileInput.files ?? []));
    fileInput.value = "";
  });

  function startUploads(files: File[]): void {
    let headers: Record<string, string>;
    try {
      headers = sse.headers();
      if (storageClass.value) headers["x-amz-storage-class"] = storageClass.value;
    } catch (e) {
      st.error(e);
      return;
    }
    for (const file of files) void uploadFile(file, headers);
  }

  async function uploadFile(file: File, sseHeaders: Record<string, string>): Promise<void> {
    const key = prefix + file.name;
    const bar = h("progress", { max: file.size || 1, value: 0, "aria-label": `Upload of ${file.name}` });
    const label = h("span", {}, "starting");
    const controller = new AbortController();
    const cancel = h("button", { type: "button", class: "small", onclick: () => controller.abort() }, `Cancel ${file.name}`);
    const row = h("div", { class: "upload", "data-key": key }, h("span", { class: "name" }, file.name), bar, label, cancel);
    uploads.append(row);
    const show = (loaded: number) => {
      bar.value = loaded;
      label.textContent = `${bytes(loaded)} of ${bytes(file.size)}`;
    };
    const size = Math.max(5, Number(partSize.value) || 8) * MiB;
    try {
      if (file.size <= size) {
        await upload(objectPath(bucket, key), {}, { ...sseHeaders, "content-type": file.type || "application/octet-stream" }, file, show, controller.signal);
      } else {
        await multipart(bucket, key, file, size, sseHeaders, show, controller.signal);
      }
      bar.value = bar.max;
      label.textContent = `uploaded, ${bytes(file.size)}`;
      row.classList.add("done");
      cancel.remove();
      await refresh(true);
    } catch (e) {
      label.textContent = e instanceof ApiError && e.code === "Cancelled" ? "cancelled" : `failed: ${e instanceof Error ? e.message : e}`;
      row.classList.add("failed");
      cancel.remove();
    }
  }

  async function refresh(reset: boolean): Promise<void> {
    if (reset) {
      token = "";
      rows = [];
      folders = [];
    }
    const query: Record<string, string> = { "list-type": "2", prefix, delimiter: "/", "max-keys": String(PAGE) };
    if (token) query["continuation-token"] = token;
    const doc = await xml(objectPath(bucket), { query });
    folders.push(...children(doc, "CommonPrefixes > Prefix").map((p) => p.textContent ?? ""));
    const page = children(doc, "Contents").map((c) => ({
      key: text(c, "Key"),
      size: Number(text(c, "Size")),
      modified: text(c, "LastModified"),
      storageClass: text(c, "StorageClass"),
      mode: h("span", {}, "…"),
    }));
    rows.push(...page);
    token = text(doc, "IsTruncated") === "true" ? text(doc, "NextContinuationToken") : "";
    more.hidden = !token;
    render();
    // The listing does not say how an object is encrypted: ask each listed object's HEAD, a few at a time.
    const queue = [...page];
    await Promise.all(Array.from({ length: 4 }, async () => {
      for (let r = queue.shift(); r; r = queue.shift()) {
        try {
          const head = await call(objectPath(bucket, r.key), { method: "HEAD" });
          r.mode.textContent = modeOf(head.headers);
        } catch (e) {
          r.mode.textContent = e instanceof ApiError && e.status === 400 ? "SSE-C" : "?";
        }
      }
    }));
  }

  function render(): void {
    const sorted = [...rows].sort((a, b) => sortBy === "size" ? a.size - b.size : sortBy === "modified" ? a.modified.localeCompare(b.modified) : a.key.localeCompare(b.key));
    const sortButton = (col: typeof sortBy, label: string) => h("button", { type: "button", class: "link", "aria-pressed": String(sortBy === col), onclick: () => { sortBy = col; render(); } }, label);
    const t = table(["Name", "Size", "Last modified", "Storage class", "Encryption", ""], [
      ...folders.map((f) => [h("a", { href: `#/bucket/${encodeURIComponent(bucket)}/${encodeURIComponent(f)}` }, f.slice(prefix.length)), "folder", "", "", "", ""]),
      ...sorted.map((r) => [
        h("a", { href: `#/object/${encodeURIComponent(bucket)}/${encodeURIComponent(r.key)}` }, r.key.slice(prefix.length)),
        bytes(r.size), date(r.modified), r.storageClass, r.mode,
        h("button", { type: "button", class: "danger small", "aria-label": `Delete ${r.key}`, onclick: () => void remove(r.key) }, "Delete"),
      ]),
    ], `Objects under ${bucket}/${prefix}`);
    t.querySelector("thead tr")!.replaceChildren(
      h("th", { scope: "col" }, sortButton("key", "Name")), h("th", { scope: "col" }, sortButton("size", "Size")),
      h("th", { scope: "col" }, sortButton("modified", "Last modified")), h("th", { scope: "col" }, "Storage class"),
      h("th", { scope: "col" }, "Encryption"), h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Actions")));
    listing.replaceChildren(rows.length || folders.length ? t : h("p", {}, "No objects here."));
  }

  async function remove(key: string): Promise<void> {
    if (!(await confirmDialog(`Delete ${key}?`, "The object is removed for good.", "Delete object"))) return;
    try {
      await call(objectPath(bucket, key), { method: "DELETE" });
      st.ok(`Deleted ${key}.`);
      await refresh(true);
    } catch (e) {
      st.error(e);
    }
  }

  more.addEventListener("click", () => void refresh(false).catch(st.error));
  root.append(
    h("h2", {}, "Objects"), crumbs, searchForm,
    h("form", { class: "upload-form", "aria-label": "Upload", onsubmit: (e: Event) => e.preventDefault() },
      h("h2", {}, "Upload"), sse.el, field("Storage class", storageClass), field("Part size for multipart uploads (MiB)", partSize), field("Files", fileInput), drop),
    uploads, st.el, listing, more);
  await refresh(true);
}

function modeOf(headers: Headers): string {
  const sse = headers.get("x-amz-server-side-encryption");
  if (headers.get("x-amz-server-side-encryption-customer-algorithm")) return "SSE-C";
  if (sse === "aws:kms" || sse === "cos/kms") return "SSE-KMS";
  if (sse) return sse === "AES256" ? "SSE-COS" : sse;
  return "none";
}

async function multipart(bucket: string, key: string, file: File, partSize: number, sseHeaders: Record<string, string>, onProgress: (n: number) => void, signal: AbortSignal): Promise<void> {
  const path = objectPath(bucket, key);
  const created = await xml(path, { method: "POST", query: { uploads: "" }, headers: { ...sseHeaders, "content-type": file.type || "application/octet-stream" } });
  const uploadId = text(created, "UploadId");
  const customer = Object.fromEntries(Object.entries(sseHeaders).filter(([k]) => k.includes("customer")));
  const count = Math.ceil(file.size / partSize);
  const loaded = new Array<number>(count).fill(0);
  const etags = new Array<string>(count);
  let next = 0;
  try {
    await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTS, count) }, async () => {
      while (next < count) {
        const i = next++;
        const blob = file.slice(i * partSize, Math.min(file.size, (i + 1) * partSize));
        const header = await upload(path, { partNumber: String(i + 1), uploadId }, customer, blob, (n) => {
          loaded[i] = n;
          onProgress(loaded.reduce((a, b) => a + b, 0));
        }, signal);
        etags[i] = header("ETag") ?? "";
      }
    }));
    const body = "<CompleteMultipartUpload>" + etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join("") + "</CompleteMultipartUpload>";
    await call(path, { method: "POST", query: { uploadId }, body, headers: customer });
  } catch (e) {
    await call(path, { method: "DELETE", query: { uploadId } }).catch(() => undefined);
    throw e;
  }
}

export async function objectPage(root: HTMLElement, bucket: string, key: string): Promise<void> {
  const st = status();
  const keyInput = h("input", { name: "customerKey", type: "password", autocomplete: "off", spellcheck: "false" });
  const details = h("div");
  const actions = h("div");
  root.append(
    h("p", { class: "crumbs" }, h("a", { href: "#/buckets" }, "Buckets"), " / ", h("a", { href: `#/bucket/${encodeURIComponent(bucket)}` }, bucket), " / ", key),
    h("h1", {}, key), st.el, details, actions);
  const customerHeaders = () => (keyInput.value ? sseCustomerHeaders(parseCustomerKey(keyInput.value)) : {});

  async function load(): Promise<void> {
    let head: Headers | null = null;
    try {
      head = (await call(objectPath(bucket, key), { method: "HEAD", headers: customerHeaders() })).headers;
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 400)) throw e;
    }
    if (!head) {
      const form = h("form", { "aria-label": "SSE-C key" }, h("p", {}, "This object is encrypted with a customer key (SSE-C): give the key to see its details and download it."), field("SSE-C key (base64)", keyInput), h("button", { type: "submit" }, "Open"));
      form.addEventListener("submit", (e) => {
        e.preventDefault();
        void load().catch(st.error);
      });
      details.replaceChildren(form);
      return;
    }
    const keyId = head.get("x-amz-server-side-encryption-aws-kms-key-id");
    const restore = head.get("x-amz-restore");
    const dl = h("dl", { class: "details" });
    const row = (t: string, v: string | Node) => dl.append(h("dt", {}, t), h("dd", {}, v));
    row("Size", `${bytes(Number(head.get("content-length")))} (${head.get("content-length")} bytes)`);
    row("ETag", head.get("etag") ?? "-");
    row("CRC-64", head.get("x-amz-hash-crc64ecma") ?? "-");
    row("Storage class", head.get("x-amz-storage-class") ?? "STANDARD");
    row("Encryption", modeOf(head));
    if (keyId) row("KMS key", h("a", { href: `#/kms/${encodeURIComponent(keyId.split("/").pop()!)}` }, keyId));
    row("Content type", head.get("content-type") ?? "-");
    row("Last modified", head.get("last-modified") ?? "-");
    if (restore) row("Restore", restore.includes('ongoing-request="true"') ? "in progress" : `restored (${restore})`);
    if (head.get("x-amz-version-id")) row("Version", head.get("x-amz-version-id")!);
    details.replaceChildren(h("h2", {}, "Details"), dl);
    renderActions(head);
  }

  function renderActions(head: Headers): void {
    const keyId = head.get("x-amz-server-side-encryption-aws-kms-key-id");
    const download = h("button", { type: "button" }, "Download");
    download.addEventListener("click", async () => {
      try {
        const response = await call(objectPath(bucket, key), { headers: customerHeaders() });
        const url = URL.createObjectURL(await response.blob());
        const a = h("a", { href: url, download: key.split("/").pop() ?? "object" });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 60_000);
        st.ok(`Downloaded ${key}.`);
      } catch (e) {
        st.error(e instanceof ApiError && /^(KMS\.|Kms)/.test(e.code)
          ? `Cannot read ${key}: its KMS key${keyId ? " " + keyId : ""} refused to decrypt it (${e.message}). The object stays unreadable until the key is usable again: enable it on the KMS keys page.`
          : e);
      }
    });
    const del = h("button", { type: "button", class: "danger" }, "Delete");
    del.addEventListener("click", async () => {
      if (!(await confirmDialog(`Delete ${key}?`, "The object is removed for good.", "Delete object"))) return;
      try {
        await call(objectPath(bucket, key), { method: "DELETE" });
        location.hash = `#/bucket/${encodeURIComponent(bucket)}`;
      } catch (e) {
        st.error(e);
      }
    });
    const archived = /ARCHIVE|GLACIER/.test(head.get("x-amz-storage-class") ?? "");
    const days = h("input", { name: "days", type: "number", min: 1, value: 1 });
    const restoreForm = h("form", { "aria-label": "Restore" }, h("h2", {}, "Restore"), field("Days", days), h("button", { type: "submit" }, "Restore"));
    restoreForm.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        await call(objectPath(bucket, key), { method: "POST", query: { restore: "" }, body: `<RestoreRequest><Days>${Number(days.value)}</Days></RestoreRequest>` });
        st.ok("Restore requested.");
        await load();
      } catch (err) {
        st.error(err);
      }
    });
    const copyForm = copySection(bucket, key, customerHeaders, st);
    actions.replaceChildren(h("div", { class: "actions" }, download, del), ...(archived ? [restoreForm] : []), copyForm);
  }
  await load();
}

function copySection(bucket: string, key: string, sourceCustomer: () => Record<string, string>, st: ReturnType<typeof status>): HTMLElement {
  const destBucket = h("input", { name: "destBucket", value: bucket, required: true });
  const destKey = h("input", { name: "destKey", value: key, required: true });
  const move = h("input", { name: "move", type: "checkbox" });
  const wrap = h("div");
  void kmsKeyOptions().then((keys) => {
    const sse = sseChooser(keys, "Encryption of the copy");
    const form = h("form", { "aria-label": "Copy or move" }, h("h2", {}, "Copy or move, changing the encryption"), field("Destination bucket", destBucket), field("Destination key", destKey), sse.el,
      h("div", { class: "field" }, move, h("label", { for: (move.id = "move") }, " Move (delete the source after copying)")), h("button", { type: "submit" }, "Copy"));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const src = sourceCustomer();
        const copySrc = Object.fromEntries(Object.entries(src).map(([k, v]) => [k.replace("x-amz-server-side-encryption-customer-", "x-amz-copy-source-server-side-encryption-customer-"), v]));
        await call(objectPath(destBucket.value, destKey.value), {
          method: "PUT",
          headers: { ...sse.headers(), ...copySrc, "x-amz-copy-source": objectPath(bucket, key), "x-amz-metadata-directive": "COPY" },
        });
        if (move.checked && !(destBucket.value === bucket && destKey.value === key)) await call(objectPath(bucket, key), { method: "DELETE" });
        st.ok(`Copied to ${destBucket.value}/${destKey.value}.`);
      } catch (err) {
        st.error(err);
      }
    });
    wrap.replaceChildren(form);
  });
  return wrap;
}

/** For tests and the key generator: a fresh random SSE-C key in base64. */
export function randomCustomerKey(): string {
  return base64(crypto.getRandomValues(new Uint8Array(32)));
}
void md5;
void current;
