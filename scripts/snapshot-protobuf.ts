/**
 * Snapshots the Kubernetes API's protobuf wire definitions (generated.proto) of the pinned version into
 * services/ingest/proto/, which services/ingest/src/protobuf.ts reads to decode kubectl's protobuf request bodies.
 *
 *   npx tsx scripts/snapshot-protobuf.ts
 *
 * The .proto files come verbatim (license headers included) from the Go module cache, laid out by import path so
 * their `import` lines resolve. Beside them it writes json-fields.json: what the .proto files cannot say about the
 * JSON form, read from the Go types (`json:` and `protobuf:` struct tags), namely
 *   - inline: an embedded struct (`json:",inline"`) whose fields belong to the parent in JSON;
 *   - json: the JSON name, where it differs from the proto name;
 *   - keepZero: a scalar whose zero value JSON keeps (a Go pointer, or no `omitempty`). Go's protobuf marshaller
 *     writes every non-pointer field, so without this a decoder cannot tell `replicas: 0` from an unset field.
 */
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";
import { VERSIONS } from "@kubefed/localenv";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "services/ingest/proto");
/** The staging modules (k8s.io/api, k8s.io/apimachinery) are versioned v0.X.Y for Kubernetes v1.X.Y. */
const MODULE_VERSION = VERSIONS.kubernetes.replace(/^v1\./, "v0.");
/** Longest prefix first: "k8s.io/api/" must not claim "k8s.io/apimachinery/...". */
const MODULES = ["k8s.io/apimachinery", "k8s.io/api"] as const;
/** The group versions the federation API serves or reads bodies of; their imports are followed from here. */
const ENTRY_POINTS = [
  "k8s.io/api/core/v1/generated.proto",
  "k8s.io/api/apps/v1/generated.proto",
  "k8s.io/api/batch/v1/generated.proto",
  "k8s.io/api/networking/v1/generated.proto",
  "k8s.io/api/autoscaling/v1/generated.proto",
  "k8s.io/api/autoscaling/v2/generated.proto",
  "k8s.io/api/rbac/v1/generated.proto",
  "k8s.io/api/authorization/v1/generated.proto",
  "k8s.io/api/authentication/v1/generated.proto",
  "k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto",
  "k8s.io/apimachinery/pkg/runtime/generated.proto",
  "k8s.io/apimachinery/pkg/runtime/schema/generated.proto",
  "k8s.io/apimachinery/pkg/util/intstr/generated.proto",
  "k8s.io/apimachinery/pkg/api/resource/generated.proto",
];

function moduleOf(importPath: string): (typeof MODULES)[number] {
  const m = MODULES.find((mod) => importPath.startsWith(`${mod}/`));
  if (!m) throw new Error(`${importPath}: not in ${MODULES.join(" or ")}`);
  return m;
}

/** The module's directory in the Go module cache, downloading the modules first if one is missing. */
function moduleDirs(): Record<string, string> {
  const cache = execFileSync("go", ["env", "GOMODCACHE"], { encoding: "utf8" }).trim();
  const dirs = Object.fromEntries(MODULES.map((m) => [m, join(cache, `${m}@${MODULE_VERSION}`)]));
  if (Object.values(dirs).some((d) => !existsSync(d))) {
    // Outside any go.mod, so that the repository's own Go modules (if any) play no part.
    const scratch = mkdtempSync(join(tmpdir(), "snapshot-protobuf-"));
    try {
      execFileSync("go", ["mod", "download", ...MODULES.map((m) => `${m}@${MODULE_VERSION}`)], {
        cwd: scratch,
        stdio: "inherit",
      });
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  for (const d of Object.values(dirs))
    if (!existsSync(d)) throw new Error(`${d} is still missing after go mod download`);
  return dirs;
}

/** Copies the entry points and everything they import, transitively; returns the import paths copied. */
function copyProtos(dirs: Record<string, string>): string[] {
  const done = new Set<string>();
  const queue = [...ENTRY_POINTS];
  for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
    if (done.has(p)) continue;
    done.add(p);
    const mod = moduleOf(p);
    const src = join(dirs[mod]!, p.slice(mod.length + 1));
    const text = readFileSync(src, "utf8");
    mkdirSync(dirname(join(OUT, p)), { recursive: true });
    writeFileSync(join(OUT, p), text);
    for (const m of text.matchAll(/^import\s+"([^"]+)";/gm)) queue.push(m[1]!);
  }
  // The .proto files are Apache-2.0; the license travels with the copies.
  for (const mod of MODULES) copyFileSync(join(dirs[mod]!, "LICENSE"), join(OUT, mod, "LICENSE"));
  return [...done].sort();
}

interface GoField {
  struct: string;
  goType: string;
  json: string;
  omitempty: boolean;
  inline: boolean;
  protoName: string;
}

/** The fields of the Go structs of one package that carry a protobuf tag. Kubernetes API types are gofmt'ed. */
function goFields(pkgDir: string): GoField[] {
  const out: GoField[] = [];
  const files = readdirSync(pkgDir).filter((f) => f.endsWith(".go") && !f.endsWith("_test.go"));
  for (const file of files) {
    let struct: string | undefined;
    for (const line of readFileSync(join(pkgDir, file), "utf8").split("\n")) {
      const open = /^type (\w+) struct \{$/.exec(line);
      if (open) struct = open[1];
      else if (line === "}") struct = undefined;
      if (!struct) continue;
      // "\tName *int32 `tags`" or an embedded "\tmetav1.ObjectMeta `tags`".
      const f = /^\t(?:(\w+)\s+)?([^\s`]+)\s+`([^`]*)`/.exec(line);
      if (!f) continue;
      const tags = f[3]!;
      const pb = /protobuf:"([^"]*)"/.exec(tags)?.[1];
      if (!pb || pb === "-") continue;
      const [json = "", ...opts] = (/json:"([^"]*)"/.exec(tags)?.[1] ?? "").split(",");
      const goType = f[2]!;
      // go-to-protobuf names an untagged embedded field after its type: EphemeralContainerCommon -> ephemeralContainerCommon.
      const base = goType.replace(/^\*/, "").split(".").pop()!;
      const protoName = /(?:^|,)name=([^,]+)/.exec(pb)?.[1] ?? base[0]!.toLowerCase() + base.slice(1);
      out.push({
        struct,
        goType,
        json,
        omitempty: opts.includes("omitempty"),
        inline: opts.includes("inline"),
        protoName,
      });
    }
  }
  return out;
}

type FieldNote = { inline?: true; json?: string; keepZero?: true };

/** Notes, per message and proto field, on how its JSON form differs from "proto name, zero omitted". */
function jsonFields(dirs: Record<string, string>, protos: string[]): Record<string, Record<string, FieldNote>> {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => join(OUT, target);
  root.loadSync(protos, { keepCase: true });
  root.resolveAll();
  const notes: Record<string, Record<string, FieldNote>> = {};
  const seen = new Set<protobuf.Field>();
  for (const p of protos) {
    const pkg = /^package\s+([\w.]+);/m.exec(readFileSync(join(OUT, p), "utf8"))?.[1];
    if (!pkg) throw new Error(`${p}: no package line`);
    const mod = moduleOf(p);
    const goDir = join(dirs[mod]!, dirname(p.slice(mod.length + 1)));
    for (const g of goFields(goDir)) {
      const type = root.lookup(`${pkg}.${g.struct}`);
      // Go structs without a message (internal helpers) have nothing to decode.
      if (!(type instanceof protobuf.Type)) continue;
      const field = type.fields[g.protoName];
      if (!field) throw new Error(`${pkg}.${g.struct}: Go field ${g.protoName} has no proto field`);
      seen.add(field);
      const note: FieldNote = {};
      if (g.inline) note.inline = true;
      else if (g.json !== "" && g.json !== "-" && g.json !== g.protoName) note.json = g.json;
      const scalar = !field.repeated && !field.map && !(field.resolvedType instanceof protobuf.Type);
      if (scalar && (g.goType.startsWith("*") || !g.omitempty) && g.json !== "" && g.json !== "-") note.keepZero = true;
      if (Object.keys(note).length > 0) (notes[type.fullName.slice(1)] ??= {})[g.protoName] = note;
    }
  }
  // Fields no Go struct tag spoke for: expected only for the types with hand-written marshalling (Time, Quantity...),
  // which protobuf.ts converts by type; anything else means the parser above missed a field.
  const unseen = allTypes(root).flatMap((t) =>
    t.fieldsArray.filter((f) => !seen.has(f)).map((f) => `${t.fullName.slice(1)}.${f.name}`),
  );
  if (unseen.length > 0) console.log(`fields without a Go struct tag (left to protobuf.ts):\n  ${unseen.join("\n  ")}`);
  return Object.fromEntries(Object.entries(notes).sort(([a], [b]) => a.localeCompare(b)));
}

function allTypes(ns: protobuf.NamespaceBase): protobuf.Type[] {
  return ns.nestedArray.flatMap((n) => [
    ...(n instanceof protobuf.Type ? [n] : []),
    ...(n instanceof protobuf.Namespace || n instanceof protobuf.Type ? allTypes(n) : []),
  ]);
}

/** One message per line: reviewable in a diff without 3000 lines of braces. */
function formatNotes(notes: Record<string, Record<string, FieldNote>>): string {
  const lines = Object.entries(notes).map(([msg, fields]) => `  ${JSON.stringify(msg)}: ${JSON.stringify(fields)}`);
  return `{\n${lines.join(",\n")}\n}\n`;
}

function main(): void {
  const dirs = moduleDirs();
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const protos = copyProtos(dirs);
  writeFileSync(join(OUT, "json-fields.json"), formatNotes(jsonFields(dirs, protos)));
  writeFileSync(
    join(OUT, "README.md"),
    `# Kubernetes protobuf definitions (${VERSIONS.kubernetes})

The Kubernetes API's wire-format definitions (\`generated.proto\` of k8s.io/api and k8s.io/apimachinery
${MODULE_VERSION}, Apache-2.0, see the LICENSE files), copied verbatim by \`npx tsx scripts/snapshot-protobuf.ts\`.
kubectl's typed clients send request bodies as \`application/vnd.kubernetes.protobuf\`; \`src/protobuf.ts\` needs
these definitions to read them. \`json-fields.json\` is derived from the Go types' struct tags: where a field's JSON
form differs from its proto form (inlined structs, renamed fields, scalars whose zero value JSON keeps).

Do not edit by hand: re-run the script after changing the pinned Kubernetes version.
`,
  );
  console.log(`wrote ${protos.length} .proto files and json-fields.json to ${OUT}`);
}

main();
