/**
 * Snapshots the OpenAPI documents the federation API serves (services/ingest/openapi/) from a real
 * kube-apiserver of the pinned version, cut down to the resources in services/ingest/src/resources.ts and the
 * schemas they reach, plus the hand-written federation/v1beta1 Cluster schema.
 *
 *   npx tsx scripts/snapshot-openapi.ts [--raw DIR]
 *
 * With --raw, the unfiltered documents are kept in DIR and reused by the next run, so the output can be
 * regenerated (e.g. after editing the Cluster schema) without starting the local environment.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { httpGet, startEnvironment, VERSIONS } from "@kubefed/localenv";
import {
  FEDERATION_GROUP,
  FEDERATION_VERSION,
  RESOURCES,
  groupVersion,
  type ResourceType,
} from "../services/ingest/src/resources.ts";

type Json = any; // OpenAPI documents are walked generically here.

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "services/ingest/openapi");
const CLUSTER_SCHEMAS = join(OUT, "federation.v1beta1.schemas.json");
const FED_GV = `${FEDERATION_GROUP}/${FEDERATION_VERSION}`;
/** Served group versions that a real kube-apiserver has. autoscaling/v1 is fetched only for Scale's schema. */
const UPSTREAM_GVS = [...new Set(RESOURCES.filter((r) => r.group !== FEDERATION_GROUP).map(groupVersion))];
const EXTRA_GVS = ["autoscaling/v1"];
/** The Cluster's paths are shaped after a real resource with the same subresources (less scale). */
const TEMPLATE = {
  gv: "apps/v1",
  resource: "deployments",
  kind: "Deployment",
  schema: "io.k8s.api.apps.v1.Deployment",
  op: "AppsV1",
  tag: "apps_v1",
};
const CLUSTER_SCHEMA = "io.kubefed.federation.v1beta1.Cluster";

/** "apps/v1" -> "apis/apps/v1", "v1" -> "api/v1": the key of the /openapi/v3 index. */
const v3Key = (gv: string) => (gv.includes("/") ? `apis/${gv}` : `api/${gv}`);
/** File name of a v3 document: "apis/apps/v1" -> "apis__apps__v1.json". */
const v3File = (gv: string) => `${v3Key(gv).replaceAll("/", "__")}.json`;

interface Raw {
  version: Json;
  v2: Json;
  v3: Record<string, Json>;
}

async function fetchRaw(): Promise<Raw> {
  const env = await startEnvironment({ install: false, members: ["snap"], coredns: false, opa: false });
  try {
    const m = env.info.members[0];
    if (!m) throw new Error("the environment started no member cluster");
    const tls = { ca: m.caFile, cert: m.clientCert, key: m.clientKey };
    const get = async (path: string): Promise<Json> => {
      const r = await httpGet(m.server + path, tls, 60_000);
      if (r.status !== 200) throw new Error(`GET ${path}: HTTP ${r.status}: ${r.body.slice(0, 200)}`);
      return JSON.parse(r.body);
    };
    const raw: Raw = { version: await get("/version"), v2: await get("/openapi/v2"), v3: {} };
    for (const gv of [...UPSTREAM_GVS, ...EXTRA_GVS]) raw.v3[gv] = await get(`/openapi/v3/${v3Key(gv)}`);
    return raw;
  } finally {
    await env.stop();
  }
}

// ---- which paths we serve ----

/** Whether a path of a real server's document is one we serve: a resource of resources.ts or one of its subresources. */
function servedPath(path: string, gv: string, resources: readonly ResourceType[]): boolean {
  const prefix = `/${v3Key(gv)}/`;
  if (!path.startsWith(prefix)) return false;
  const rest = path.slice(prefix.length);
  // The group version root (APIResourceList).
  if (rest === "") return true;
  const seg = rest.split("/");
  // Deprecated /watch/ paths: clients use ?watch=true, which the list operations document.
  if (seg[0] === "watch") return false;
  const inNamespace = seg[0] === "namespaces" && seg[1] === "{namespace}" && seg.length > 2;
  const [resource, name, sub, ...more] = inNamespace ? seg.slice(2) : seg;
  const r = resources.find((x) => groupVersion(x) === gv && x.resource === resource);
  if (!r || more.length > 0) return false;
  if (inNamespace && !r.namespaced) return false;
  if (name === undefined) return true;
  if (name !== "{name}") return false;
  if (!inNamespace && r.namespaced) return false;
  return sub === undefined || (r.subresources as string[]).includes(sub);
}

// ---- reference closure ----

function collectRefs(x: Json, out: Set<string>): void {
  if (Array.isArray(x)) for (const v of x) collectRefs(v, out);
  else if (x && typeof x === "object") {
    for (const [k, v] of Object.entries(x)) {
      if (k === "$ref" && typeof v === "string") out.add(v);
      else collectRefs(v, out);
    }
  }
}

/**
 * Follows `$ref`s transitively from `roots`. `lookup` maps a ref to [section, name, value] so that the caller
 * decides where the value comes from (the document's own section, or another document's).
 */
function closure(
  roots: Json,
  lookup: (ref: string) => [string, string, Json] | undefined,
): Record<string, Record<string, Json>> {
  const sections: Record<string, Record<string, Json>> = {};
  const pending = new Set<string>();
  collectRefs(roots, pending);
  const seen = new Set<string>();
  while (pending.size > 0) {
    const [ref] = pending;
    pending.delete(ref!);
    if (seen.has(ref!)) continue;
    seen.add(ref!);
    const hit = lookup(ref!);
    if (!hit) throw new Error(`unresolved $ref ${ref}`);
    const [section, name, value] = hit;
    (sections[section] ??= {})[name] = value;
    collectRefs(value, pending);
  }
  for (const s of Object.values(sections)) sortKeys(s);
  return sections;
}

function sortKeys(o: Record<string, Json>): Record<string, Json> {
  const entries = Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const k of Object.keys(o)) delete o[k];
  for (const [k, v] of entries) o[k] = v;
  return o;
}

const clone = <T>(x: T): T => structuredClone(x);

// ---- GroupVersionKind lists of shared kinds (DeleteOptions, WatchEvent) ----

/**
 * Shared meta kinds (DeleteOptions, WatchEvent) list every group version that uses them: keep the served
 * ones and add the federation's, as a real server would list a group it serves.
 */
function fixSharedGvks(schemas: Record<string, Json>, keep: (gv: string) => boolean, add?: string): void {
  for (const [name, s] of Object.entries(schemas)) {
    const list = s["x-kubernetes-group-version-kind"];
    if (!Array.isArray(list) || list.length < 2 || !name.startsWith("io.k8s.apimachinery.pkg.apis.meta.v1.")) continue;
    const kept = list.filter((g: Json) => keep(g.group === "" ? g.version : `${g.group}/${g.version}`));
    if (add) {
      const [group, version] = add.split("/");
      kept.push({ group, kind: list[0].kind, version });
    }
    s["x-kubernetes-group-version-kind"] = kept;
  }
}

// ---- the Cluster's paths, derived from the template resource ----

/** Rewrites one template path item (v2 or v3) so that it is about clusters instead of the template kind. */
function retarget(item: Json, isNamespaceParam: (p: Json) => boolean, schemaRef: (name: string) => string): Json {
  const walk = (x: Json): Json => {
    if (typeof x === "string") {
      return x
        .replaceAll(schemaRef(`${TEMPLATE.schema}List`), schemaRef(`${CLUSTER_SCHEMA}List`))
        .replaceAll(schemaRef(TEMPLATE.schema), schemaRef(CLUSTER_SCHEMA))
        .replaceAll(`${TEMPLATE.op}Namespaced`, `${TEMPLATE.op}`)
        .replaceAll(TEMPLATE.op, `${cap(FEDERATION_GROUP)}${cap(FEDERATION_VERSION)}`)
        .replaceAll(TEMPLATE.tag, `${FEDERATION_GROUP}_${FEDERATION_VERSION}`)
        .replaceAll(TEMPLATE.kind, "Cluster");
    }
    if (Array.isArray(x)) return x.filter((p) => !isNamespaceParam(p)).map(walk);
    if (x && typeof x === "object") {
      const o: Json = {};
      for (const [k, v] of Object.entries(x)) {
        o[k] =
          k === "x-kubernetes-group-version-kind"
            ? { group: FEDERATION_GROUP, kind: "Cluster", version: FEDERATION_VERSION }
            : walk(v);
      }
      return o;
    }
    return x;
  };
  return walk(item);
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function clusterPaths(
  templatePaths: Record<string, Json>,
  isNamespaceParam: (p: Json) => boolean,
  schemaRef: (n: string) => string,
): Record<string, Json> {
  const from = `/${v3Key(TEMPLATE.gv)}/namespaces/{namespace}/${TEMPLATE.resource}`;
  const to = `/${v3Key(FED_GV)}/clusters`;
  const cluster = RESOURCES.find((r) => r.group === FEDERATION_GROUP && r.kind === "Cluster");
  if (!cluster) throw new Error("resources.ts has no Cluster");
  const out: Record<string, Json> = {};
  for (const suffix of ["", "/{name}", ...cluster.subresources.map((s) => `/{name}/${s}`)]) {
    const item = templatePaths[from + suffix];
    if (!item) throw new Error(`template path ${from + suffix} is missing`);
    out[to + suffix] = retarget(item, isNamespaceParam, schemaRef);
  }
  return out;
}

/** v3 schema -> v2 definition: refs point into #/definitions, allOf-wrapped refs are plain, no defaults. */
function schemaV3toV2(x: Json): Json {
  if (Array.isArray(x)) return x.map(schemaV3toV2);
  if (!x || typeof x !== "object") return x;
  const o: Json = {};
  for (const [k, v] of Object.entries(x)) {
    if (k === "default") continue;
    if (k === "$ref") o[k] = String(v).replace("#/components/schemas/", "#/definitions/");
    else if (k === "allOf" && Array.isArray(v) && v.length === 1 && v[0].$ref) Object.assign(o, schemaV3toV2(v[0]));
    else o[k] = schemaV3toV2(v);
  }
  return o;
}

// ---- building the documents ----

function buildV2(raw: Raw, clusterSchemas: Record<string, Json>): Json {
  const src = raw.v2;
  const served = new Set([...UPSTREAM_GVS, FED_GV]);
  const paths: Record<string, Json> = {};
  for (const [p, item] of Object.entries<Json>(src.paths)) {
    if (UPSTREAM_GVS.some((gv) => servedPath(p, gv, RESOURCES))) paths[p] = clone(item);
  }
  const isNs = (p: Json) =>
    p?.name === "namespace" ||
    (typeof p?.$ref === "string" && src.parameters[p.$ref.split("/").pop()]?.name === "namespace");
  Object.assign(
    paths,
    clusterPaths(src.paths, isNs, (n) => `#/definitions/${n}`),
  );
  const defs: Record<string, Json> = { ...src.definitions };
  for (const [n, s] of Object.entries(clusterSchemas)) defs[n] = schemaV3toV2(s);
  const sections = closure(paths, (ref) => {
    const [, section, name] = ref.split("/");
    const value =
      section === "definitions" ? defs[name!] : section === "parameters" ? src.parameters[name!] : undefined;
    return value === undefined ? undefined : [section!, name!, clone(value)];
  });
  fixSharedGvks(sections.definitions ?? {}, (gv) => served.has(gv), FED_GV);
  return {
    swagger: src.swagger,
    info: src.info,
    paths: sortKeys(paths),
    definitions: sections.definitions ?? {},
    parameters: sections.parameters ?? {},
    securityDefinitions: src.securityDefinitions,
    security: src.security,
  };
}

function buildV3(raw: Raw, gv: string, clusterSchemas: Record<string, Json>): Json {
  const isFed = gv === FED_GV;
  const src = raw.v3[isFed ? TEMPLATE.gv : gv];
  const union: Record<string, Json> = {};
  for (const d of Object.values(raw.v3))
    for (const [n, s] of Object.entries<Json>(d.components?.schemas ?? {})) union[n] ??= s;
  const own: Record<string, Json> = { ...src.components?.schemas, ...(isFed ? clusterSchemas : {}) };
  let paths: Record<string, Json> = {};
  if (isFed) {
    paths[`/${v3Key(gv)}/`] = retarget(
      src.paths[`/${v3Key(TEMPLATE.gv)}/`],
      () => false,
      (n) => n,
    );
    Object.assign(
      paths,
      clusterPaths(
        src.paths,
        (p) => p?.name === "namespace",
        (n) => `#/components/schemas/${n}`,
      ),
    );
  } else {
    for (const [p, item] of Object.entries<Json>(src.paths)) if (servedPath(p, gv, RESOURCES)) paths[p] = clone(item);
  }
  paths = sortKeys(paths);
  const sections = closure(paths, (ref) => {
    const m = /^#\/components\/(schemas|parameters)\/(.+)$/.exec(ref);
    if (!m) return undefined;
    const [, section, name] = m;
    const value = section === "schemas" ? (own[name!] ?? union[name!]) : src.components?.parameters?.[name!];
    return value === undefined ? undefined : [section!, name!, clone(value)];
  });
  const schemas = sections.schemas ?? {};
  if (isFed) fixSharedGvks(schemas, (g) => g === "v1", FED_GV);
  else fixSharedGvks(schemas, (g) => g === "v1" || g === gv);
  const components: Json = { schemas };
  if (sections.parameters) components.parameters = sections.parameters;
  if (src.components?.securitySchemes) components.securitySchemes = src.components.securitySchemes;
  return { openapi: src.openapi, info: src.info, paths, components };
}

function readRaw(dir: string): Raw | undefined {
  if (!existsSync(join(dir, "version.json"))) return undefined;
  const read = (f: string) => JSON.parse(readFileSync(join(dir, f), "utf8"));
  const v3: Record<string, Json> = {};
  for (const gv of [...UPSTREAM_GVS, ...EXTRA_GVS]) v3[gv] = read(`v3__${v3File(gv)}`);
  return { version: read("version.json"), v2: read("v2.json"), v3 };
}

function writeRaw(dir: string, raw: Raw): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "version.json"), JSON.stringify(raw.version));
  writeFileSync(join(dir, "v2.json"), JSON.stringify(raw.v2));
  for (const [gv, d] of Object.entries(raw.v3)) writeFileSync(join(dir, `v3__${v3File(gv)}`), JSON.stringify(d));
}

async function main(): Promise<void> {
  const i = process.argv.indexOf("--raw");
  const rawDir = i > 0 ? process.argv[i + 1] : undefined;
  let raw = rawDir ? readRaw(rawDir) : undefined;
  if (!raw) {
    raw = await fetchRaw();
    if (rawDir) writeRaw(rawDir, raw);
  }
  if (raw.version.gitVersion !== VERSIONS.kubernetes)
    throw new Error(`snapshot is of ${raw.version.gitVersion}, pinned is ${VERSIONS.kubernetes}`);
  const clusterSchemas: Record<string, Json> = JSON.parse(readFileSync(CLUSTER_SCHEMAS, "utf8"));

  rmSync(join(OUT, "v3"), { recursive: true, force: true });
  mkdirSync(join(OUT, "v3"), { recursive: true });
  writeFileSync(join(OUT, "v2.json"), JSON.stringify(buildV2(raw, clusterSchemas)));
  const gvs = [...UPSTREAM_GVS, FED_GV];
  for (const gv of gvs) writeFileSync(join(OUT, "v3", v3File(gv)), JSON.stringify(buildV3(raw, gv, clusterSchemas)));
  const manifest = {
    comment:
      "Generated by scripts/snapshot-openapi.ts from a real kube-apiserver; do not edit. The Cluster schema comes from federation.v1beta1.schemas.json.",
    kubernetes: { gitVersion: raw.version.gitVersion, major: raw.version.major, minor: raw.version.minor },
    v2: "v2.json",
    v3: Object.fromEntries(gvs.map((gv) => [v3Key(gv), `v3/${v3File(gv)}`])),
  };
  writeFileSync(join(OUT, "snapshot.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  process.stderr.write(`wrote ${OUT} (kubernetes ${raw.version.gitVersion}, ${gvs.length} v3 documents)\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`snapshot-openapi: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
