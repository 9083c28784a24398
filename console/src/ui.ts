// A few DOM helpers: the console builds its pages from elements (never innerHTML), so no server string is ever markup.

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | EventListener | null | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...content: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function") el.addEventListener(name.replace(/^on/, ""), value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  append(el, ...content);
  return el;
}

export function append(el: Node, ...content: Child[]): void {
  for (const c of content) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
  }
}

let fieldIds = 0;

/** A labelled form field: the label's for= names the control. */
export function field(label: string, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, hint?: string): HTMLElement {
  control.id ||= `f${++fieldIds}`;
  const wrap = h("div", { class: "field" }, h("label", { for: control.id }, label), control);
  if (hint) {
    const hintId = control.id + "-hint";
    control.setAttribute("aria-describedby", hintId);
    wrap.append(h("small", { id: hintId }, hint));
  }
  return wrap;
}

export function select(name: string, options: [string, string][], value = ""): HTMLSelectElement {
  const s = h("select", { name });
  for (const [v, label] of options) s.append(h("option", { value: v, selected: v === value }, label));
  return s;
}

/** A status line read out by screen readers: errors assertive, the rest polite. */
export function status(): { el: HTMLElement; ok(text: string): void; error(e: unknown): void; clear(): void } {
  const el = h("p", { class: "status", role: "status", "aria-live": "polite" });
  return {
    el,
    ok(text) {
      el.className = "status ok";
      el.setAttribute("role", "status");
      el.textContent = text;
    },
    error(e) {
      el.className = "status error";
      el.setAttribute("role", "alert");
      el.textContent = e instanceof Error ? e.message : String(e);
    },
    clear() {
      el.className = "status";
      el.textContent = "";
    },
  };
}

export function bytes(n: number): string {
  if (!Number.isFinite(n)) return "-";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

export function date(value: string | number | undefined): string {
  if (value === undefined || value === "") return "-";
  const d = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(d.getTime()) ? String(value) : d.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

/** A modal confirmation (a native dialog: focus is trapped and Escape cancels). */
export function confirmDialog(title: string, message: string, action: string): Promise<boolean> {
  return new Promise((resolve) => {
    const dialog = h("dialog", { "aria-labelledby": "dlg-title" });
    const done = (ok: boolean) => {
      dialog.close();
      dialog.remove();
      resolve(ok);
    };
    dialog.append(
      h("h2", { id: "dlg-title" }, title),
      h("p", {}, message),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "danger", onclick: () => done(true) }, action),
        h("button", { type: "button", onclick: () => done(false) }, "Cancel")),
    );
    dialog.addEventListener("cancel", (e) => {
      e.preventDefault();
      done(false);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

export function table(headers: string[], rows: Child[][], caption: string): HTMLTableElement {
  return h("table", {},
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, ...headers.map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, ...rows.map((r) => h("tr", {}, ...r.map((c) => h("td", {}, c))))));
}
