// Buckets: the list, create and delete; a bucket's page with its objects and its settings (default encryption,
// lifecycle, tags, and versioning, CORS and policy when the server answers them), each as a form and as raw XML/JSON.
import { ApiError, call, children, contentMd5, kms, objectPath, text, xml } from "./api";
import { objectsSection } from "./objects";
import { confirmDialog, date, field, h, select, status, table } from "./ui";

export async function bucketsPage(root: HTMLElement): Promise<void> {
  const st = status();
  const name = h("input", { name: "bucket", required: true, pattern: "[a-z0-9][a-z0-9.\\-]{1,61}[a-z0-9]", spellcheck: "false" });
  const list = h("div");
  const form = h("form", { class: "inline", "aria-label": "Create a bucket" },
    field("New bucket name", name, "3 to 63 lower-case letters, digits, dots and hyphens."),
    h("button", { type: "submit" }, "Create bucket"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await call(objectPath(name.value.trim()), { method: "PUT" });
      st.ok(`Bucket ${name.value.trim()} created.`);
      name.value = "";
      await refresh();
    } catch (err) {
      st.error(err);
    }
  });
  root.append(h("h1", {}, "Buckets"), form, st.el, list);

  async function refresh(): Promise<void> {
    const doc = await xml("/");
    const rows = children(doc, "Buckets > Bucket").map((b) => {
      const bucket = text(b, "Name");
      const del = h("button", { type: "button", class: "danger small", "aria-label": `Delete bucket ${bucket}` }, "Delete");
      del.addEventListener("click", async () => {
        if (!(await confirmDialog(`Delete bucket ${bucket}?`, "Only an empty bucket can be deleted. This cannot be undone.", "Delete bucket"))) return;
        try {
          await call(objectPath(bucket), { method: "DELETE" });
          st.ok(`Bucket ${bucket} deleted.`);
          await refresh();
        } catch (err) {
          st.error(err);
        }
      });
      return [h("a", { href: `#/bucket/${encodeURIComponent(bucket)}` }, bucket), date(text(b, "CreationDate")), del];
    });
    list.replaceChildren(rows.length ? table(["Name", "Created", ""], rows, "Your buckets") : h("p", {}, "No buckets yet."));
  }
  await refresh();
}

export async function bucketPage(root: HTMLElement, bucket: string, prefix: string): Promise<void> {
  root.append(h("p", { class: "crumbs" }, h("a", { href: "#/buckets" }, "Buckets"), " / ", bucket), h("h1", {}, `Bucket ${bucket}`));
  const tabs: [string, (el: HTMLElement) => Promise<void>][] = [
    ["Objects", (el) => objectsSection(el, bucket, prefix)],
    ["Encryption", (el) => encryptionSection(el, bucket)],
    ["Lifecycle", (el) => rawXmlSection(el, bucket, "lifecycle", "LifecycleConfiguration", true)],
    ["Tags", (el) => tagsSection(el, bucket)],
  ];
  // Settings being built in parallel: shown only when the server answers them.
  for (const [label, sub] of [["Versioning", "versioning"], ["CORS", "cors"], ["Policy", "policy"]] as const) {
    try {
      await call(objectPath(bucket), { query: { [sub]: "" } });
      tabs.push([label, (el) => sub === "policy" ? rawJsonPolicy(el, bucket) : rawXmlSection(el, bucket, sub, sub === "cors" ? "CORSConfiguration" : "VersioningConfiguration", sub === "cors")]);
    } catch (e) {
      if (e instanceof ApiError && e.status !== 501 && e.code !== "NotImplemented")
        tabs.push([label, (el) => sub === "policy" ? rawJsonPolicy(el, bucket) : rawXmlSection(el, bucket, sub, sub === "cors" ? "CORSConfiguration" : "VersioningConfiguration", sub === "cors")]);
    }
  }
  const tablist = h("div", { role: "tablist", "aria-label": "Bucket sections" });
  const panel = h("div", { role: "tabpanel", id: "bucket-panel", tabindex: "0" });
  const buttons = tabs.map(([label], i) => h("button", { type: "button", role: "tab", id: `tab-${i}`, "aria-controls": "bucket-panel", "aria-selected": "false", tabindex: "-1" }, label));
  async function show(i: number): Promise<void> {
    buttons.forEach((b, j) => {
      b.setAttribute("aria-selected", String(i === j));
      b.tabIndex = i === j ? 0 : -1;
    });
    panel.setAttribute("aria-labelledby", `tab-${i}`);
    panel.replaceChildren();
    try {
      await tabs[i][1](panel);
    } catch (e) {
      panel.append(h("p", { class: "status error", role: "alert" }, e instanceof Error ? e.message : String(e)));
    }
  }
  buttons.forEach((b, i) => {
    b.addEventListener("click", () => void show(i));
    b.addEventListener("keydown", (e) => {
      const k = (e as KeyboardEvent).key;
      const next = k === "ArrowRight" ? (i + 1) % buttons.length : k === "ArrowLeft" ? (i + buttons.length - 1) % buttons.length : -1;
      if (next >= 0) {
        buttons[next].focus();
        void show(next);
      }
    });
  });
  tablist.append(...buttons);
  root.append(tablist, panel);
  await show(0);
}

async function encryptionSection(root: HTMLElement, bucket: string): Promise<void> {
  const st = status();
  let current = "";
  let raw = "";
  try {
    raw = await (await call(objectPath(bucket), { query: { encryption: "" } })).text();
    const doc = new DOMParser().parseFromString(raw, "application/xml");
    current = text(doc, "SSEAlgorithm");
    const keyId = text(doc, "KMSMasterKeyID");
    const algo = text(doc, "KMSAlgorithm");
    current = current === "SM4" ? "SM4" : current.includes("kms") || current === "KMS" ? (algo === "SM4" ? "KMS-SM4" : "KMS") : current;
    root.dataset.keyId = keyId;
  } catch (e) {
    if (!(e instanceof ApiError && e.code === "ServerSideEncryptionConfigurationNotFoundError")) throw e;
  }
  const mode = select("mode", [["", "None"], ["AES256", "SSE-COS (AES256)"], ["SM4", "SSE-COS with SM4 (COS-signed)"], ["KMS", "SSE-KMS"], ["KMS-SM4", "SSE-KMS with SM4 (COS-signed)"]], current);
  const keys = await kmsKeyOptions();
  const keyPicker = select("kmsKey", [["", "The default KMS key"], ...keys], root.dataset.keyId ?? "");
  const keyField = field("KMS key", keyPicker);
  const sync = () => (keyField.hidden = !mode.value.startsWith("KMS"));
  mode.addEventListener("change", sync);
  sync();
  const rawView = h("pre", { class: "raw", tabindex: "0", "aria-label": "Current configuration as XML" }, raw || "(no default encryption)");
  const form = h("form", { "aria-label": "Default encryption" },
    h("h2", {}, "Default encryption"),
    h("p", {}, current ? `New objects without their own SSE headers are encrypted with ${mode.selectedOptions[0].textContent}.` : "New objects without SSE headers are stored unencrypted."),
    field("Mode", mode), keyField,
    h("button", { type: "submit" }, "Save"), st.el,
    h("h3", {}, "Raw XML"), rawView);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      if (!mode.value) {
        await call(objectPath(bucket), { method: "DELETE", query: { encryption: "" } });
      } else {
        const sm4 = mode.value.endsWith("SM4");
        const kmsMode = mode.value.startsWith("KMS");
        const algorithm = kmsMode ? (sm4 ? "KMS" : "aws:kms") : mode.value;
        const body = `<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>${algorithm}</SSEAlgorithm>`
          + (kmsMode && keyPicker.value ? `<KMSMasterKeyID>${escapeXml(keyPicker.value)}</KMSMasterKeyID>` : "")
          + (kmsMode && sm4 ? "<KMSAlgorithm>SM4</KMSAlgorithm>" : "")
          + "</ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>";
        await call(objectPath(bucket), { method: "PUT", query: { encryption: "" }, body, cos: sm4, headers: sm4 ? { "content-md5": contentMd5(body) } : {} });
      }
      root.replaceChildren();
      await encryptionSection(root, bucket);
      root.querySelector(".status")?.replaceWith(h("p", { class: "status ok", role: "status" }, "Default encryption saved."));
    } catch (err) {
      st.error(err);
    }
  });
  root.append(form);
}

export async function kmsKeyOptions(): Promise<[string, string][]> {
  try {
    const [keys, aliases] = await Promise.all([kms<{ Keys: { KeyId: string }[] }>("ListKeys"), kms<{ Aliases: { AliasName: string; TargetKeyId?: string }[] }>("ListAliases")]);
    return keys.Keys.map((k) => {
      const names = aliases.Aliases.filter((a) => a.TargetKeyId === k.KeyId).map((a) => a.AliasName);
      return [k.KeyId, names.length ? `${names.join(", ")} (${k.KeyId})` : k.KeyId] as [string, string];
    });
  } catch {
    return []; // the KMS answers over HTTPS only; the picker then offers the default key alone
  }
}

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function rawXmlSection(root: HTMLElement, bucket: string, sub: string, element: string, md5: boolean): Promise<void> {
  const st = status();
  let raw = "";
  try {
    raw = await (await call(objectPath(bucket), { query: { [sub]: "" } })).text();
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404)) throw e;
  }
  const area = h("textarea", { rows: 14, cols: 80, spellcheck: "false", name: sub }, raw || `<${element}>\n</${element}>`);
  const form = h("form", { "aria-label": `${sub} configuration` },
    h("h2", {}, `${sub[0].toUpperCase()}${sub.slice(1)} configuration`),
    h("p", {}, raw ? "The bucket's configuration as the server stores it; edit and save." : "None set."),
    field(`${sub} XML`, area),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Save"), raw && sub !== "versioning" ? h("button", { type: "button", class: "danger", onclick: remove }, "Remove") : null),
    st.el);
  async function remove(): Promise<void> {
    try {
      await call(objectPath(bucket), { method: "DELETE", query: { [sub]: "" } });
      st.ok("Removed.");
    } catch (err) {
      st.error(err);
    }
  }
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await call(objectPath(bucket), { method: "PUT", query: { [sub]: "" }, body: area.value, headers: md5 ? { "content-md5": contentMd5(area.value) } : {} });
      st.ok("Saved.");
    } catch (err) {
      st.error(err);
    }
  });
  root.append(form);
}

async function rawJsonPolicy(root: HTMLElement, bucket: string): Promise<void> {
  const st = status();
  let raw = "";
  try {
    raw = await (await call(objectPath(bucket), { query: { policy: "" } })).text();
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404)) throw e;
  }
  const area = h("textarea", { rows: 14, cols: 80, spellcheck: "false", name: "policy" }, raw);
  const form = h("form", { "aria-label": "Bucket policy" }, h("h2", {}, "Bucket policy"), field("Policy JSON", area), h("button", { type: "submit" }, "Save"), st.el);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await call(objectPath(bucket), { method: "PUT", query: { policy: "" }, body: area.value, headers: { "content-type": "application/json" } });
      st.ok("Saved.");
    } catch (err) {
      st.error(err);
    }
  });
  root.append(form);
}

async function tagsSection(root: HTMLElement, bucket: string): Promise<void> {
  const st = status();
  let tags: [string, string][] = [];
  let raw = "";
  try {
    raw = await (await call(objectPath(bucket), { query: { tagging: "" } })).text();
    const doc = new DOMParser().parseFromString(raw, "application/xml");
    tags = children(doc, "Tag").map((t) => [text(t, "Key"), text(t, "Value")]);
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404)) throw e;
  }
  const area = h("textarea", { rows: 6, cols: 50, name: "tags", spellcheck: "false" }, tags.map(([k, v]) => `${k}=${v}`).join("\n"));
  const form = h("form", { "aria-label": "Bucket tags" },
    h("h2", {}, "Tags"),
    field("Tags, one key=value a line", area),
    h("button", { type: "submit" }, "Save"), st.el,
    h("h3", {}, "Raw XML"), h("pre", { class: "raw", tabindex: "0", "aria-label": "Tags as XML" }, raw || "(no tags)"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const lines = area.value.split("\n").map((l) => l.trim()).filter(Boolean);
      if (!lines.length) {
        await call(objectPath(bucket), { method: "DELETE", query: { tagging: "" } });
      } else {
        const body = "<Tagging><TagSet>" + lines.map((l) => {
          const eq = l.indexOf("=");
          const k = eq < 0 ? l : l.slice(0, eq);
          const v = eq < 0 ? "" : l.slice(eq + 1);
          return `<Tag><Key>${escapeXml(k)}</Key><Value>${escapeXml(v)}</Value></Tag>`;
        }).join("") + "</TagSet></Tagging>";
        await call(objectPath(bucket), { method: "PUT", query: { tagging: "" }, body, headers: { "content-md5": contentMd5(body) } });
      }
      st.ok("Tags saved.");
    } catch (err) {
      st.error(err);
    }
  });
  root.append(form);
}
