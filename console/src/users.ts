// Users and their access keys, for the administrator (admin API; everyone else gets AccessDenied).
import { admin, ApiError } from "./api";
import { confirmDialog, date, field, h, status, table } from "./ui";

interface User {
  name: string;
  id: string;
  accessKeyId: string;
  root: boolean;
  created: string;
}

export async function usersPage(root: HTMLElement): Promise<void> {
  const st = status();
  const name = h("input", { name: "user", required: true, spellcheck: "false" });
  const list = h("div");
  const created = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "inline", "aria-label": "Add a user" }, field("New user name", name), h("button", { type: "submit" }, "Add user"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const user = await admin<User & { secretKey: string }>("POST", "users", {}, { name: name.value.trim() });
      created.replaceChildren(h("div", { class: "card" }, h("p", {}, `User ${user.name} added. Its secret key is shown only now: copy it.`),
        h("dl", { class: "details" }, h("dt", {}, "Access key id"), h("dd", {}, user.accessKeyId), h("dt", {}, "Secret key"), h("dd", {}, h("code", {}, user.secretKey))),
        h("button", { type: "button", onclick: () => created.replaceChildren() }, "I have copied it")));
      name.value = "";
      await refresh();
    } catch (err) {
      st.error(err);
    }
  });
  root.append(h("h1", {}, "Users"), form, created, st.el, list);

  async function refresh(): Promise<void> {
    const { users } = await admin<{ users: User[] }>("GET", "users");
    list.replaceChildren(table(["Name", "Access key id", "Id", "Created", "", ""], users.map((u) => [
      u.name + (u.root ? " (administrator)" : ""), u.accessKeyId, u.id, date(u.created),
      h("button", { type: "button", class: "small", "aria-label": `Issue temporary credentials for ${u.name}`, onclick: () => void issueTemporary(u) }, "Temporary credentials"),
      u.root ? "" : h("button", { type: "button", class: "danger small", "aria-label": `Remove user ${u.name}`, onclick: async () => {
        if (!(await confirmDialog(`Remove ${u.name}?`, "Its key pair stops working within seconds; its buckets and KMS keys stay.", "Remove user"))) return;
        try {
          await admin("DELETE", `users/${encodeURIComponent(u.name)}`);
          await refresh();
        } catch (err) {
          st.error(err);
        }
      } }, "Remove"),
    ]), "Users and their keys"));
  }
  /** Temporary credentials acting as the user for an hour (the admin API's temporary-credentials): shown once. */
  async function issueTemporary(u: User): Promise<void> {
    try {
      const t = await admin<{ accessKeyId: string; secretKey: string; sessionToken: string; expiration: string }>("POST", `users/${encodeURIComponent(u.name)}/temporary-credentials`, {}, { durationSeconds: 3600 });
      created.replaceChildren(h("div", { class: "card" }, h("p", {}, `Temporary credentials acting as ${u.name}, valid until ${date(t.expiration)}. They are shown only now: copy all three, and sign in with them (the session token goes in its own field).`),
        h("dl", { class: "details" },
          h("dt", {}, "Access key id"), h("dd", {}, t.accessKeyId),
          h("dt", {}, "Secret key"), h("dd", {}, h("code", {}, t.secretKey)),
          h("dt", {}, "Session token"), h("dd", {}, h("code", { class: "token" }, t.sessionToken)),
          h("dt", {}, "Expires"), h("dd", {}, date(t.expiration))),
        h("button", { type: "button", onclick: () => created.replaceChildren() }, "I have copied them")));
    } catch (err) {
      st.error(err);
    }
  }
  try {
    await refresh();
  } catch (e) {
    if (e instanceof ApiError && e.code === "AccessDenied") list.replaceChildren(h("p", {}, "Users are for the administrator: sign in with the root user's key over HTTPS."));
    else throw e;
  }
}
