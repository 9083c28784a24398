// Builds the console into dist/: assets/app.<hash>.js and assets/app.<hash>.css (content-hashed, so the server caches
// them for a year), index.html naming them, and build.stamp, the MSBuild target's "up to date" marker.
import { build } from "esbuild";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { basename } from "node:path";

rmSync("dist", { recursive: true, force: true });
mkdirSync("dist/assets", { recursive: true });

const result = await build({
  entryPoints: { app: "src/main.ts", style: "src/style.css" },
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2022"],
  outdir: "dist/assets",
  entryNames: "[name].[hash]",
  metafile: true,
  legalComments: "none",
  logLevel: "warning",
});

const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
const js = outputs.find((n) => n.startsWith("app.") && n.endsWith(".js"));
const css = outputs.find((n) => n.startsWith("style.") && n.endsWith(".css"));
if (!js || !css) throw new Error("esbuild did not produce the app's script and style");

writeFileSync(
  "dist/index.html",
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Coffer console</title>
<link rel="stylesheet" href="assets/${css}">
<script defer src="assets/${js}"></script>
</head>
<body>
<noscript>The Coffer console needs JavaScript.</noscript>
<div id="app"></div>
</body>
</html>
`,
);
writeFileSync("dist/build.stamp", new Date().toISOString() + "\n");
