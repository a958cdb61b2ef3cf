// Every package a workspace's sources import is declared in that workspace's package.json, so a workspace can be
// read (and moved) on its own and the manifests say what depends on what. The repository root is held to the
// same rule for its own files (scripts/, the tool configs); workspaces are linked at the root, so it may use them.
// A package declared by several manifests has one version range in all of them, so npm installs it once.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SOURCE = /\.(ts|mts|js|mjs)$/;
const SKIP = new Set(["node_modules", "dist", ".run"]);

interface Manifest {
  readonly name: string;
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly workspaces?: readonly string[];
}

const manifest = (dir: string): Manifest =>
  JSON.parse(readFileSync(join(ROOT, dir, "package.json"), "utf8")) as Manifest;
const declared = (m: Manifest): Record<string, string> => ({
  ...m.peerDependencies,
  ...m.devDependencies,
  ...m.dependencies,
});

function sourcesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir))) {
    if (SKIP.has(entry)) continue;
    const path = join(dir, entry);
    if (statSync(join(ROOT, path)).isDirectory()) out.push(...sourcesUnder(path));
    else if (SOURCE.test(entry)) out.push(path);
  }
  return out;
}

/** The workspace directories the root manifest names (`libs/*` style globs of one level). */
function workspaceDirs(): string[] {
  return (manifest(".").workspaces ?? []).flatMap((w) =>
    w.endsWith("/*")
      ? readdirSync(join(ROOT, w.slice(0, -2)))
          .map((d) => `${w.slice(0, -2)}/${d}`)
          .filter((d) => statSync(join(ROOT, d)).isDirectory())
      : [w],
  );
}

/** The package an import specifier names, or undefined for relative paths and Node's built-in modules. */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith(".") || specifier.startsWith("/") || specifier.startsWith("node:")) return undefined;
  const parts = specifier.split("/");
  const name = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? specifier);
  return builtinModules.includes(name) ? undefined : name;
}

/** Static imports, re-exports, `import type`, dynamic `import("x")` and `require("x")` of one file. */
export function importsOf(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

interface SourceFile {
  readonly path: string;
  readonly text: string;
}
const read = (paths: readonly string[]): SourceFile[] =>
  paths.map((path) => ({ path, text: readFileSync(join(ROOT, path), "utf8") }));

/** `file: package` for every import of a package the manifest does not declare. */
function undeclared(m: Manifest, files: readonly SourceFile[], also: ReadonlySet<string> = new Set()): string[] {
  const known = new Set([m.name, ...Object.keys(declared(m)), ...also]);
  const out: string[] = [];
  for (const file of files) {
    for (const pkg of new Set(importsOf(file.text).map(packageOf))) {
      if (pkg !== undefined && !known.has(pkg)) out.push(`${file.path}: ${pkg}`);
    }
  }
  return out;
}

const workspaces = workspaceDirs();

describe("each workspace's package.json", () => {
  it.each(workspaces)("%s declares every package its sources import", (dir) => {
    expect(undeclared(manifest(dir), read(sourcesUnder(dir).filter((f) => !f.endsWith(".d.ts"))))).toEqual([]);
  });

  it("the root declares what its own files import (scripts/, tool configs)", () => {
    const own = readdirSync(ROOT).filter((f) => SOURCE.test(f));
    const names = new Set(workspaces.map((d) => manifest(d).name));
    expect(undeclared(manifest("."), read([...own, ...sourcesUnder("scripts")]), names)).toEqual([]);
  });

  it("gives a package one version range wherever it is declared", () => {
    const ranges = new Map<string, Set<string>>();
    for (const dir of [".", ...workspaces])
      for (const [pkg, range] of Object.entries(declared(manifest(dir))))
        ranges.set(pkg, (ranges.get(pkg) ?? new Set()).add(range));
    expect([...ranges].filter(([, r]) => r.size > 1).map(([pkg, r]) => `${pkg}: ${[...r].join(" vs ")}`)).toEqual([]);
  });
});

describe("the import reader", () => {
  it("finds every form of import and names its package", () => {
    const text = [
      'import a from "pkg-a/sub/path.js";',
      'import type { B } from "@scope/b/deep";',
      'export { c } from "c";',
      'const d = await import("d");',
      'import "./local.ts";',
      'import { readFileSync } from "node:fs";',
      'import { join } from "path";',
      'const s = "from \\"not-an-import\\"";',
    ].join("\n");
    expect(importsOf(text).map(packageOf)).toEqual(["pkg-a", "@scope/b", "c", "d", undefined, undefined, undefined]);
  });

  it("reports a file importing a package its manifest lacks, and only that", () => {
    const m: Manifest = { name: "@kubefed/example", dependencies: { immer: "^11.2.10" } };
    const file = {
      path: "libs/example/src/x.ts",
      text: 'import { produce } from "immer";\nimport { Kafka } from "kafkajs";\nimport { x } from "@kubefed/example";',
    };
    expect(undeclared(m, [file])).toEqual(["libs/example/src/x.ts: kafkajs"]);
  });
});
