/**
 * Serves the OpenAPI documents snapshotted from a real kube-apiserver (services/ingest/openapi/, written by
 * scripts/snapshot-openapi.ts): `/openapi/v2`, the `/openapi/v3` index and one `/openapi/v3/<gv>` document per
 * served group version. kubectl 1.36 reads v3 (explain, apply's patches, and the check whether the server
 * does field validation itself); v2 is only its fallback when v3 fails.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

/** What the HTTP layer writes back; `headers` carries caching and redirect headers. */
export interface HttpAnswer {
  status: number;
  contentType: string;
  body: Buffer | string;
  headers?: Record<string, string>;
}

/** The snapshot's manifest (services/ingest/openapi/snapshot.json). */
export interface SnapshotManifest {
  kubernetes: { gitVersion: string; major: string; minor: string };
  v2: string;
  /** "apis/apps/v1" -> file, relative to the openapi folder. */
  v3: Record<string, string>;
}

interface Doc {
  bytes: Buffer;
  /** Upper-case hex SHA-512 of the bytes, as the real server's ETag and `hash` are. */
  hash: string;
}

const DIR = new URL("../openapi/", import.meta.url);
const JSON_TYPE = "application/json";

/** One clause of an Accept header. */
export interface MediaRange {
  type: string;
  subtype: string;
  /** Parameters other than q, lower-case names (`g`, `v`, `as` select discovery and Table formats). */
  params: Record<string, string>;
  q: number;
}

/**
 * Parses an Accept header into its clauses, most preferred first (by q, stable otherwise), without the
 * refused ones (q=0). An empty header means anything, as in HTTP. Shared by discovery and OpenAPI.
 */
export function acceptedMediaTypes(accept: string): MediaRange[] {
  const header = accept.trim() === "" ? "*/*" : accept;
  const out: MediaRange[] = [];
  for (const clause of header.split(",")) {
    const [range = "", ...rest] = clause.split(";").map((s) => s.trim());
    const [type = "", subtype = ""] = range.toLowerCase().split("/");
    if (type === "" || subtype === "") continue;
    const params: Record<string, string> = {};
    let q = 1;
    for (const p of rest) {
      const eq = p.indexOf("=");
      if (eq < 0) continue;
      const name = p.slice(0, eq).trim().toLowerCase();
      const value = p
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, "$1");
      if (name === "q") q = Number.isFinite(Number(value)) ? Number(value) : 0;
      else params[name] = value;
    }
    if (q > 0) out.push({ type, subtype, params, q });
  }
  return out
    .map((m, i) => [m, i] as const)
    .sort(([a, i], [b, j]) => b.q - a.q || i - j)
    .map(([m]) => m);
}

let manifest: SnapshotManifest | undefined;
const docs = new Map<string, Doc>();
const parsed = new Map<string, unknown>();

/** The snapshot manifest: the Kubernetes version the documents came from and where each document is. */
export function snapshotManifest(): SnapshotManifest {
  manifest ??= JSON.parse(readFileSync(new URL("snapshot.json", DIR), "utf8")) as SnapshotManifest;
  return manifest;
}

// Files are read on first use: most requests never touch OpenAPI, and the documents are ~2 MB together.
function doc(file: string): Doc {
  let d = docs.get(file);
  if (!d) {
    const bytes = readFileSync(new URL(file, DIR));
    d = { bytes, hash: createHash("sha512").update(bytes).digest("hex").toUpperCase() };
    docs.set(file, d);
  }
  return d;
}

/** The v3 index keys ("api/v1", "apis/apps/v1", ...), one per served group version. */
export function v3Keys(): string[] {
  return Object.keys(snapshotManifest().v3);
}

/** A parsed v3 document by index key ("apis/apps/v1"), for validation; undefined when not served. */
export function v3Document(key: string): unknown {
  const file = snapshotManifest().v3[key];
  if (file === undefined) return undefined;
  let d = parsed.get(key);
  if (d === undefined) {
    d = JSON.parse(doc(file).bytes.toString("utf8"));
    parsed.set(key, d);
  }
  return d;
}

/** The /openapi/v3 index: every document with a content-hashed URL that clients may cache forever. */
export function v3Index(): { paths: Record<string, { serverRelativeURL: string }> } {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const [key, file] of Object.entries(snapshotManifest().v3)) {
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${doc(file).hash}` };
  }
  return { paths };
}

/**
 * Chooses JSON if the Accept header allows it, the way the real server walks its preference list.
 * The real server also offers protobuf (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`); we
 * skip that clause and go on to the next one, so a client asking for protobuf only gets 406, which
 * client-go's OpenAPISchema() treats as "not available" rather than mis-decoding JSON as protobuf.
 */
function wantsJson(accept: string): boolean {
  return acceptedMediaTypes(accept).some(
    (m) => (m.type === "application" || m.type === "*") && (m.subtype === "json" || m.subtype === "*"),
  );
}

const notAcceptable = (): HttpAnswer => ({
  status: 406,
  contentType: "text/plain; charset=utf-8",
  body: "only application/json is served\n",
  headers: { Vary: "Accept" },
});

/**
 * Answers an OpenAPI request, or undefined when `path` is not one of ours (including unknown v3 group
 * versions: the server's 404 handling applies). `path` may carry the query string (`?hash=`).
 */
export function openapiResponse(path: string, accept: string): HttpAnswer | undefined {
  const q = path.indexOf("?");
  const pathname = q < 0 ? path : path.slice(0, q);
  const query = new URLSearchParams(q < 0 ? "" : path.slice(q + 1));
  const trimmed = pathname.replace(/\/+$/, "");

  if (trimmed === "/openapi/v2") {
    if (!wantsJson(accept)) return notAcceptable();
    const d = doc(snapshotManifest().v2);
    return {
      status: 200,
      contentType: JSON_TYPE,
      body: d.bytes,
      headers: { ETag: `"${d.hash}"`, Vary: "Accept", "Cache-Control": "no-cache, private" },
    };
  }
  if (trimmed === "/openapi/v3") {
    // The real server answers the index as JSON whatever the Accept header (and labels it text/plain);
    // clients read it raw, so the honest content type costs nothing.
    return {
      status: 200,
      contentType: JSON_TYPE,
      body: JSON.stringify(v3Index()),
      headers: { "Cache-Control": "no-cache, private" },
    };
  }
  if (!trimmed.startsWith("/openapi/v3/")) return undefined;
  const key = trimmed.slice("/openapi/v3/".length);
  const file = snapshotManifest().v3[key];
  if (file === undefined) return undefined;
  if (!wantsJson(accept)) return notAcceptable();
  const d = doc(file);
  const hash = query.get("hash");
  // A stale hash (from an index cached before an upgrade) gets the current document, uncacheable. The real
  // server redirects to the current hash instead; serving in place needs no Location header from the caller.
  const cache = hash === d.hash ? "public, immutable, max-age=31536000" : "no-cache, private";
  return {
    status: 200,
    contentType: JSON_TYPE,
    body: d.bytes,
    headers: { ETag: `"${d.hash}"`, Vary: "Accept", "Cache-Control": cache },
  };
}
