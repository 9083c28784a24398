// The dashboard: polls /_coffer/metrics (the Prometheus text the server's scrapers read) every few seconds, keeps the
// last hour in page memory, and draws rates with small SVG charts of its own.
import { ApiError, call } from "./api";
import { h } from "./ui";

const POLL_MS = 5000;
const KEEP_MS = 60 * 60 * 1000;

interface Sample {
  t: number;
  /** metric name → list of (labels, value) */
  series: Map<string, { labels: Record<string, string>; value: number }[]>;
}

const samples: Sample[] = [];
let timer: number | undefined;

export function stopDashboard(): void {
  if (timer !== undefined) clearInterval(timer);
  timer = undefined;
}

export function parsePrometheus(textBody: string): Sample["series"] {
  const out: Sample["series"] = new Map();
  for (const line of textBody.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    if (m[3]) for (const l of m[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2].replace(/\\(.)/g, "$1");
    const value = Number(m[4]);
    if (!out.has(m[1])) out.set(m[1], []);
    out.get(m[1])!.push({ labels, value });
  }
  return out;
}

function sum(s: Sample, name: string, where: (l: Record<string, string>) => boolean = () => true): number {
  return (s.series.get(name) ?? []).filter((x) => where(x.labels)).reduce((a, x) => a + x.value, 0);
}

/** Per-second rate of a counter between consecutive samples. */
function rate(name: string, where?: (l: Record<string, string>) => boolean): [number, number][] {
  const points: [number, number][] = [];
  for (let i = 1; i < samples.length; i++) {
    const dt = (samples[i].t - samples[i - 1].t) / 1000;
    points.push([samples[i].t, Math.max(0, sum(samples[i], name, where) - sum(samples[i - 1], name, where)) / dt]);
  }
  return points;
}

function quantile(q: number): [number, number][] {
  const points: [number, number][] = [];
  for (let i = 1; i < samples.length; i++) {
    const byLe = new Map<number, number>();
    for (const [s, sign] of [[samples[i], 1], [samples[i - 1], -1]] as const)
      for (const b of s.series.get("coffer_request_duration_seconds_bucket") ?? []) {
        const le = b.labels.le === "+Inf" ? Infinity : Number(b.labels.le);
        byLe.set(le, (byLe.get(le) ?? 0) + sign * b.value);
      }
    const les = [...byLe.keys()].sort((a, b) => a - b);
    const total = byLe.get(Infinity) ?? 0;
    if (total <= 0) {
      points.push([samples[i].t, 0]);
      continue;
    }
    const target = q * total;
    const le = les.find((l) => (byLe.get(l) ?? 0) >= target) ?? Infinity;
    points.push([samples[i].t, (Number.isFinite(le) ? le : les[les.length - 2] ?? 0) * 1000]);
  }
  return points;
}

const COLORS = ["#1f5fbf", "#b4420f", "#1d7a3a", "#7b3fa6", "#8a6d00", "#0f6f7a"];
const SVG = "http://www.w3.org/2000/svg";

function svg(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** A line chart of named series; the latest values are also given as text for screen readers. */
export function chart(title: string, unit: string, series: [string, [number, number][]][]): HTMLElement {
  const W = 460, H = 160, L = 48, B = 20;
  const all = series.flatMap(([, p]) => p);
  const max = Math.max(1e-9, ...all.map((p) => p[1]));
  const t1 = Date.now(), t0 = t1 - KEEP_MS;
  const x = (t: number) => L + ((t - t0) / KEEP_MS) * (W - L - 4);
  const y = (v: number) => H - B - (v / max) * (H - B - 8);
  const id = "c" + title.replace(/\W/g, "");
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": id, class: "chart" });
  root.append(svg("title", { id }, `${title}, last hour`));
  root.append(svg("line", { x1: L, y1: H - B, x2: W, y2: H - B, stroke: "#555" }), svg("line", { x1: L, y1: 4, x2: L, y2: H - B, stroke: "#555" }));
  root.append(svg("text", { x: L - 4, y: 12, "text-anchor": "end", "font-size": 10, fill: "#222" }, fmt(max)), svg("text", { x: L - 4, y: H - B, "text-anchor": "end", "font-size": 10, fill: "#222" }, "0"));
  root.append(svg("text", { x: L, y: H - 4, "font-size": 10, fill: "#222" }, "-60 min"), svg("text", { x: W - 4, y: H - 4, "text-anchor": "end", "font-size": 10, fill: "#222" }, "now"));
  series.forEach(([, points], i) => {
    if (points.length) root.append(svg("polyline", { fill: "none", stroke: COLORS[i % COLORS.length], "stroke-width": 2, points: points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(" ") }));
  });
  const legend = h("ul", { class: "legend" }, ...series.map(([name, points], i) =>
    h("li", {}, h("span", { class: "swatch", style: null, "data-color": i % COLORS.length }), `${name}: ${fmt(points.at(-1)?.[1] ?? 0)} ${unit}`)));
  return h("figure", { class: "chart-card" }, h("figcaption", {}, `${title} (${unit})`), root as unknown as HTMLElement, legend);
}

function fmt(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(3);
}

export async function dashboardPage(root: HTMLElement): Promise<void> {
  const grid = h("div", { class: "charts" });
  const note = h("p", { role: "status" }, samples.length < 2 ? "Collecting: the charts start after the second scrape (every 5 s)." : "");
  root.append(h("h1", {}, "Dashboard"), h("p", {}, "Rates from /_coffer/metrics, scraped every 5 seconds while this page is open; the last hour is kept in this page's memory."), note, grid);

  async function poll(): Promise<void> {
    try {
      const body = await (await call("/_coffer/metrics")).text();
      const now = Date.now();
      samples.push({ t: now, series: parsePrometheus(body) });
      while (samples.length && samples[0].t < now - KEEP_MS) samples.shift();
      note.textContent = samples.length < 2 ? "Collecting: the charts start after the second scrape (every 5 s)." : `Last scrape ${new Date(now).toISOString().slice(11, 19)} UTC.`;
      draw();
    } catch (e) {
      stopDashboard();
      note.className = "status error";
      note.setAttribute("role", "alert");
      note.textContent = e instanceof ApiError && e.code === "AccessDenied"
        ? "The metrics answer the administrator only on this server (--metrics admin): sign in with the root user's key."
        : `The metrics could not be read: ${e instanceof Error ? e.message : e}`;
    }
  }

  function draw(): void {
    const last = samples.at(-1);
    const ops = last ? [...new Set((last.series.get("coffer_requests_total") ?? []).map((s) => s.labels.operation))] : [];
    const busiest = ops.map((op) => [op, rate("coffer_requests_total", (l) => l.operation === op)] as [string, [number, number][]])
      .sort((a, b) => b[1].reduce((s, p) => s + p[1], 0) - a[1].reduce((s, p) => s + p[1], 0)).slice(0, 5);
    const hits = rate("coffer_kms_bucket_key_cache_lookups_total", (l) => l.result === "hit");
    const lookups = rate("coffer_kms_bucket_key_cache_lookups_total");
    grid.replaceChildren(
      chart("Requests per second by operation", "req/s", busiest),
      chart("Errors per second", "err/s", [["4xx", rate("coffer_requests_total", (l) => l.status?.startsWith("4"))], ["5xx", rate("coffer_requests_total", (l) => l.status?.startsWith("5"))]]),
      chart("Bytes in and out", "B/s", [["in", rate("coffer_received_bytes_total")], ["out", rate("coffer_sent_bytes_total")]]),
      chart("Latency percentiles", "ms", [["p50", quantile(0.5)], ["p95", quantile(0.95)], ["p99", quantile(0.99)]]),
      chart("KMS calls", "calls/s", [["GenerateDataKey", rate("coffer_kms_calls_total", (l) => l.call === "GenerateDataKey")], ["Decrypt", rate("coffer_kms_calls_total", (l) => l.call === "Decrypt")]]),
      chart("Bucket-key cache hit rate", "%", [["hit rate", hits.map(([t, v], i) => [t, lookups[i][1] > 0 ? (100 * v) / lookups[i][1] : 0] as [number, number])]]),
    );
  }

  draw();
  await poll();
  timer = window.setInterval(() => void poll(), POLL_MS);
}
