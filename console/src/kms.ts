// KMS keys: state, rotation and deletion dates; create, enable/disable, rotate now, schedule/cancel deletion (with a
// confirmation that says what becomes unreadable), aliases; a key's page with its audit trail (admin API).
import { admin, ApiError, kms } from "./api";
import { confirmDialog, date, field, h, select, status, table } from "./ui";

interface KeyMetadata {
  KeyId: string;
  Arn: string;
  KeyState: string;
  Description?: string;
  CreationDate: number;
  DeletionDate?: number;
  KeyManager: string;
}

export async function kmsPage(root: HTMLElement): Promise<void> {
  const st = status();
  const description = h("input", { name: "description" });
  const alias = h("input", { name: "alias", placeholder: "alias/photos", spellcheck: "false" });
  const list = h("div");
  const create = h("form", { class: "inline", "aria-label": "Create a key" }, field("Description", description), field("Alias (optional)", alias), h("button", { type: "submit" }, "Create key"));
  create.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const made = await kms<{ KeyMetadata: KeyMetadata }>("CreateKey", description.value ? { Description: description.value } : {});
      if (alias.value.trim()) await kms("CreateAlias", { AliasName: alias.value.trim(), TargetKeyId: made.KeyMetadata.KeyId });
      st.ok(`Key ${made.KeyMetadata.KeyId} created.`);
      description.value = alias.value = "";
      await refresh();
    } catch (err) {
      st.error(err);
    }
  });
  root.append(h("h1", {}, "KMS keys"), create, st.el, list);

  async function refresh(): Promise<void> {
    const [keys, aliases] = await Promise.all([kms<{ Keys: { KeyId: string }[] }>("ListKeys"), kms<{ Aliases: { AliasName: string; TargetKeyId?: string }[] }>("ListAliases")]);
    const metas = await Promise.all(keys.Keys.map(async (k) => {
      const [d, r] = await Promise.all([
        kms<{ KeyMetadata: KeyMetadata }>("DescribeKey", { KeyId: k.KeyId }),
        kms<{ KeyRotationEnabled: boolean; NextRotationDate?: number }>("GetKeyRotationStatus", { KeyId: k.KeyId }).catch(() => null),
      ]);
      return { meta: d.KeyMetadata, rotation: r };
    }));
    const rows = metas.map(({ meta, rotation }) => [
      h("a", { href: `#/kms/${meta.KeyId}` }, meta.KeyId),
      aliases.Aliases.filter((a) => a.TargetKeyId === meta.KeyId).map((a) => a.AliasName).join(", ") || "-",
      meta.Description || "-",
      h("span", { class: `state ${meta.KeyState}`, "data-key-state": meta.KeyState }, meta.KeyState),
      rotation?.KeyRotationEnabled ? `on, next ${date(rotation.NextRotationDate)}` : "off",
      meta.DeletionDate ? date(meta.DeletionDate) : "-",
      keyActions(meta, st, refresh),
    ]);
    list.replaceChildren(rows.length ? table(["Key", "Aliases", "Description", "State", "Rotation", "Deletion", "Actions"], rows, "Your KMS keys") : h("p", {}, "No keys yet."));
  }
  await refresh();
}

function keyActions(meta: KeyMetadata, st: ReturnType<typeof status>, refresh: () => Promise<void>): HTMLElement {
  const act = (label: string, run: () => Promise<unknown>, danger = false) =>
    h("button", { type: "button", class: danger ? "danger small" : "small", "aria-label": `${label} ${meta.KeyId}`, onclick: async () => {
      try {
        await run();
        st.ok(`${label}: done for ${meta.KeyId}.`);
        await refresh();
      } catch (e) {
        st.error(e);
      }
    } }, label);
  if (meta.KeyManager === "AWS") return h("span", {}, "service key");
  const out = h("div", { class: "actions" });
  if (meta.KeyState === "Enabled") out.append(act("Disable", () => kms("DisableKey", { KeyId: meta.KeyId })), act("Rotate now", () => kms("RotateKeyOnDemand", { KeyId: meta.KeyId })));
  if (meta.KeyState === "Disabled") out.append(act("Enable", () => kms("EnableKey", { KeyId: meta.KeyId })));
  if (meta.KeyState === "PendingDeletion") out.append(act("Cancel deletion", () => kms("CancelKeyDeletion", { KeyId: meta.KeyId })));
  else out.append(act("Schedule deletion", async () => {
    const ok = await confirmDialog(`Schedule deletion of ${meta.KeyId}?`,
      "After 30 days the key is destroyed, and every object encrypted under it (SSE-KMS objects, and the data keys it wraps) becomes unreadable forever: nobody, not even the administrator, can decrypt them again. Until then you can cancel; meanwhile the key cannot be used.",
      "Schedule deletion");
    if (!ok) throw new ApiError(0, "Cancelled", "Deletion not scheduled.");
    await kms("ScheduleKeyDeletion", { KeyId: meta.KeyId, PendingWindowInDays: 30 });
  }, true));
  return out;
}

export async function keyPage(root: HTMLElement, keyId: string): Promise<void> {
  const st = status();
  const { KeyMetadata: meta } = await kms<{ KeyMetadata: KeyMetadata }>("DescribeKey", { KeyId: keyId });
  const dl = h("dl", { class: "details" });
  for (const [t, v] of [["Key id", meta.KeyId], ["ARN", meta.Arn], ["State", meta.KeyState], ["Description", meta.Description || "-"], ["Created", date(meta.CreationDate)], ["Deletion date", meta.DeletionDate ? date(meta.DeletionDate) : "-"]])
    dl.append(h("dt", {}, t), h("dd", {}, v));
  const since = h("input", { name: "since", type: "datetime-local" });
  const operation = h("input", { name: "operation", placeholder: "Decrypt", spellcheck: "false" });
  const user = h("input", { name: "user", spellcheck: "false" });
  const trail = h("div");
  const filter = h("form", { class: "inline", "aria-label": "Filter the audit trail" }, field("Since (UTC)", since), field("Operation", operation), field("User", user), h("button", { type: "submit" }, "Filter"));
  filter.addEventListener("submit", (e) => {
    e.preventDefault();
    void audit();
  });
  root.append(h("p", { class: "crumbs" }, h("a", { href: "#/kms" }, "KMS keys"), " / ", meta.KeyId), h("h1", {}, `Key ${meta.KeyId}`), dl,
    h("div", { class: "actions" }, keyActions(meta, st, async () => { location.hash = `#/kms/${meta.KeyId}?${Date.now()}`; })), st.el,
    h("h2", {}, "Audit trail"), filter, trail);

  async function audit(): Promise<void> {
    try {
      const query: Record<string, string> = { key: meta.KeyId, limit: "1000" };
      if (since.value) query.since = new Date(since.value + "Z").toISOString();
      const log = await admin<{ entries: Record<string, string>[]; truncated: boolean }>("GET", "kms-audit", query);
      const entries = log.entries.filter((e) => (!operation.value || (e.operation ?? "").toLowerCase().includes(operation.value.toLowerCase()))
        && (!user.value || (e.principal ?? "").toLowerCase().includes(user.value.toLowerCase())));
      trail.replaceChildren(entries.length
        ? table(["Time", "Operation", "User", "Outcome", "Source"], entries.map((e) => [date(e.time), e.operation, e.principal, e.outcome, e.source]), `Audit trail of ${meta.KeyId}${log.truncated ? " (first 1000 entries)" : ""}`)
        : h("p", {}, "No entries match."));
    } catch (e) {
      trail.replaceChildren(h("p", { class: "status error", role: "alert" }, e instanceof ApiError && e.code === "AccessDenied" ? "The audit trail is for the administrator (the root user's key, over HTTPS)." : String(e instanceof Error ? e.message : e)));
    }
  }
  await audit();
}

void select;
