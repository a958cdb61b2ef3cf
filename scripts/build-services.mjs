#!/usr/bin/env node
// Compiles each service that has an entry point (services/<name>/src/main.ts) into one ES module,
// services/<name>/dist/main.mjs, with esbuild, as cli/bin/kubefed does for the CLI: the image runs compiled
// JavaScript, with no TypeScript loader and no node_modules. A service's files read at run time (the ingest's
// OpenAPI and protobuf snapshots) are found relative to dist/, as they are relative to src/.
//   node scripts/build-services.mjs                build every service in place
//   node scripts/build-services.mjs --stage DIR    also copy what the image needs (bundles, run-time files) to DIR
// A new service (dns-sync) is built as soon as its src/main.ts exists; its run-time files, if any, go in ASSETS.
import { cpSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
/** Directories of a service, beside src/, that it reads at run time. */
const ASSETS = { ingest: ["openapi", "proto"] };

export const servicesWithCode = () =>
  readdirSync(join(ROOT, "services"))
    .filter((s) => existsSync(join(ROOT, "services", s, "src", "main.ts")))
    .sort();

const stageAt = process.argv.indexOf("--stage");
const stage = stageAt >= 0 ? process.argv[stageAt + 1] : undefined;
if (stageAt >= 0 && !stage) throw new Error("--stage needs a directory");

for (const service of servicesWithCode()) {
  const dir = join(ROOT, "services", service);
  await build({
    entryPoints: [join(dir, "src", "main.ts")],
    outfile: join(dir, "dist", "main.mjs"),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: "error",
    // Bundled CommonJS modules call require(): the banner gives the ES module one.
    banner: {
      js: "import { createRequire as kubefedCreateRequire } from 'node:module'; const require = kubefedCreateRequire(import.meta.url);",
    },
  });
  if (stage) {
    const to = join(stage, "services", service);
    mkdirSync(to, { recursive: true });
    for (const part of ["dist", ...(ASSETS[service] ?? [])])
      cpSync(join(dir, part), join(to, part), { recursive: true });
  }
  process.stdout.write(`built services/${service}/dist/main.mjs\n`);
}
