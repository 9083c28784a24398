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
    list.replaceChildren(table(["Name", "Access key id", "Id", "Created", ""], users.map((u) => [
      u.name + (u.root ? " (administrator)" : ""), u.accessKeyId, u.id, date(u.created),
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
  try {
    await refresh();
  } catch (e) {
    if (e instanceof ApiError && e.code === "AccessDenied") list.replaceChildren(h("p", {}, "Users are for the administrator: sign in with the root user's key over HTTPS."));
    else throw e;
  }
}
