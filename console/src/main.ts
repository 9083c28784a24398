// The console's shell: sign-in, navigation, and a hash router (#/buckets, #/bucket/NAME, #/object/BUCKET/KEY, #/kms,
// #/kms/ID, #/dashboard, #/users). A reload starts signed out: the credentials live in this page's memory only.
import { ApiError, call, isSignedIn, signIn, signOut } from "./api";
import { bucketPage, bucketsPage } from "./buckets";
import { dashboardPage, stopDashboard } from "./dashboard";
import { keyPage, kmsPage } from "./kms";
import { objectPage } from "./objects";
import { field, h, status } from "./ui";
import { usersPage } from "./users";

const app = document.getElementById("app")!;

function signInPage(): void {
  const accessKey = h("input", { name: "accessKey", autocomplete: "username", required: true, spellcheck: "false" });
  const secret = h("input", { name: "secret", type: "password", autocomplete: "current-password", required: true });
  const token = h("input", { name: "token", autocomplete: "off", spellcheck: "false" });
  const region = h("input", { name: "region", value: "us-east-1", required: true });
  const st = status();
  const form = h("form", { class: "card signin", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, "Sign in to Coffer"),
    location.protocol === "https:" ? null : h("p", { class: "warning" }, "This page is not on HTTPS: SSE-C, SSE-KMS, the KMS and the admin API answer over HTTPS only. Open the server's https:// address."),
    field("Access key id", accessKey),
    field("Secret key", secret, "Kept in this page's memory only, never stored: reloading the page signs you out. It never leaves the page: every request is signed here."),
    field("Session token (temporary credentials only)", token),
    field("Region", region),
    h("button", { type: "submit" }, "Sign in"),
    st.el);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    st.ok("Signing in…");
    const sessionToken = token.value.trim() || undefined;
    signIn({ accessKeyId: accessKey.value.trim(), secret: new TextEncoder().encode(secret.value), sessionToken, region: region.value.trim() || "us-east-1" });
    secret.value = "";
    token.value = "";
    try {
      await call("/"); // ListBuckets proves the key pair (and the session token)
      st.clear();
      if (!location.hash || location.hash === "#/") location.hash = "#/buckets";
      else route();
    } catch (err) {
      signOut();
      st.error(signInError(err, sessionToken !== undefined));
      secret.focus();
    }
  });
  app.replaceChildren(h("main", { id: "main" }, form));
  accessKey.focus();
}

/** What a refused sign-in says: the server's code and message, and what to check. */
function signInError(err: unknown, withToken: boolean): unknown {
  if (!(err instanceof ApiError)) return err;
  const said = err.message.slice(err.code.length + 2).trim();
  if (err.code === "ExpiredToken")
    return `Sign-in failed (ExpiredToken): these temporary credentials have expired. Request new ones (access key id, secret key and session token, used together).`;
  if (err.code === "InvalidAccessKeyId" || err.code === "InvalidToken" || err.code === "SignatureDoesNotMatch")
    return `Sign-in failed (${err.code}): ${said ? said + " " : ""}` + (withToken
      ? "Check that the access key id, secret key and session token are the three issued together, and that the token was pasted whole."
      : "Check the access key id and the secret key; temporary credentials also need their session token.");
  return err;
}

function shell(content: HTMLElement): void {
  const here = location.hash.split("/")[1] ?? "";
  const link = (hash: string, label: string) => h("li", {}, h("a", { href: hash, "aria-current": hash.split("/")[1] === here ? "page" : null }, label));
  const nav = h("nav", { "aria-label": "Main" },
    h("ul", {},
      link("#/buckets", "Buckets"),
      link("#/kms", "KMS keys"),
      link("#/dashboard", "Dashboard"),
      link("#/users", "Users")),
    h("button", { type: "button", class: "signout", onclick: () => { signOut(); location.hash = ""; signInPage(); } }, "Sign out"));
  app.replaceChildren(
    h("a", { href: "#main", class: "skip", onclick: (e: Event) => { e.preventDefault(); document.getElementById("main")?.focus(); } }, "Skip to content"),
    h("header", {}, h("span", { class: "brand" }, "Coffer"), nav),
    h("main", { id: "main", tabindex: "-1" }, content));
}

export async function route(): Promise<void> {
  stopDashboard();
  if (!isSignedIn()) return signInPage();
  const [, page, ...rest] = location.hash.split("/");
  const parts = rest.map(decodeURIComponent);
  const content = h("div", { class: "page" });
  shell(content);
  try {
    switch (page) {
      case "bucket": await bucketPage(content, parts[0], parts.slice(1).join("/")); break;
      case "object": await objectPage(content, parts[0], rest.slice(1).map(decodeURIComponent).join("/")); break;
      case "kms": parts[0] ? await keyPage(content, parts[0]) : await kmsPage(content); break;
      case "dashboard": await dashboardPage(content); break;
      case "users": await usersPage(content); break;
      default: await bucketsPage(content);
    }
  } catch (e) {
    content.append(h("p", { class: "status error", role: "alert" }, e instanceof Error ? e.message : String(e)));
  }
  content.querySelector("h1")?.setAttribute("tabindex", "-1");
}

window.addEventListener("hashchange", () => void route());
void route();
