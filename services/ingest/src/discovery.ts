/**
 * API discovery for the federation API, built from the resource table: `/version`, legacy discovery
 * (`/api`, `/api/v1`, `/apis`, `/apis/<group>`, `/apis/<group>/<version>`) and aggregated discovery
 * (apidiscovery.k8s.io/v2 `APIGroupDiscoveryList` on `/api` and `/apis`), which kubectl 1.36 asks for first
 * and which saves it one request per group version.
 */
import { createHash } from "node:crypto";
import { acceptedMediaTypes, snapshotManifest, type HttpAnswer, type MediaRange } from "./openapi.ts";
import { RESOURCES, groupVersion, verbsOf, type ResourceType } from "./resources.ts";
import { ApiError, Reason, statusOf } from "./status.ts";

export const AGGREGATED_DISCOVERY_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
/** Subresources are read and written whole; the real server offers the same three verbs on status and scale. */
const SUBRESOURCE_VERBS = ["get", "patch", "update"];
/** Scale subresources speak autoscaling/v1 Scale whatever the parent's group. */
const SCALE_KIND = { group: "autoscaling", version: "v1", kind: "Scale" } as const;

export interface DiscoveryOptions {
  /** host:port clients reach this server at, for APIVersions.serverAddressByClientCIDRs. */
  serverAddress?: string;
}

/** The server's version: the Kubernetes version whose API it serves, marked as the federation's build. */
export function versionInfo(): Record<string, string> {
  const k = snapshotManifest().kubernetes;
  const arch = process.arch === "x64" ? "amd64" : process.arch;
  return {
    major: k.major,
    minor: k.minor,
    emulationMajor: k.major,
    emulationMinor: k.minor,
    // Build metadata (+), not a pre-release (-): semver then still orders it as the release it serves.
    gitVersion: `${k.gitVersion}+federation`,
    gitCommit: "",
    gitTreeState: "",
    buildDate: "",
    goVersion: "",
    compiler: "node",
    platform: `${process.platform}/${arch}`,
  };
}

/** Served groups in table order, each with its versions (the first is preferred). "" is the core group. */
export function servedGroups(resources: readonly ResourceType[] = RESOURCES): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const r of resources) {
    const versions = groups.get(r.group) ?? [];
    if (!versions.includes(r.version)) versions.push(r.version);
    groups.set(r.group, versions);
  }
  return groups;
}

const byName =
  <T>(key: (x: T) => string) =>
  (a: T, b: T) =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;

function resourcesOf(group: string, version: string): ResourceType[] {
  return RESOURCES.filter((r) => r.group === group && r.version === version).sort(byName((r) => r.resource));
}

/** Legacy APIResourceList.resources: each resource followed by its subresources. */
export function apiResources(group: string, version: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const r of resourcesOf(group, version)) {
    out.push({
      name: r.resource,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: verbsOf(r),
      ...(r.shortNames.length > 0 ? { shortNames: r.shortNames } : {}),
      ...(r.categories.length > 0 ? { categories: r.categories } : {}),
    });
    for (const sub of [...r.subresources].sort()) {
      out.push({
        name: `${r.resource}/${sub}`,
        singularName: "",
        namespaced: r.namespaced,
        ...(sub === "scale" ? SCALE_KIND : { kind: r.kind }),
        verbs: SUBRESOURCE_VERBS,
      });
    }
  }
  return out;
}

/** One group's entry of the aggregated (apidiscovery.k8s.io/v2) list. */
function discoveryGroup(group: string, versions: string[]): Record<string, unknown> {
  return {
    metadata: group === "" ? {} : { name: group },
    versions: versions.map((version) => ({
      version,
      resources: resourcesOf(group, version).map((r) => ({
        resource: r.resource,
        // The real server leaves group and version empty for a resource's own kind: they are the entry's.
        responseKind: { group: "", version: "", kind: r.kind },
        scope: r.namespaced ? "Namespaced" : "Cluster",
        singularResource: r.singular,
        verbs: verbsOf(r),
        ...(r.shortNames.length > 0 ? { shortNames: r.shortNames } : {}),
        ...(r.categories.length > 0 ? { categories: r.categories } : {}),
        ...(r.subresources.length > 0
          ? {
              subresources: [...r.subresources].sort().map((sub) => ({
                subresource: sub,
                responseKind: sub === "scale" ? SCALE_KIND : { group: "", version: "", kind: r.kind },
                verbs: SUBRESOURCE_VERBS,
              })),
            }
          : {}),
      })),
      freshness: "Current",
    })),
  };
}

/** The aggregated discovery document of `/api` (core group only) or `/apis` (every other group). */
export function aggregatedDiscovery(core: boolean): Record<string, unknown> {
  const items = [...servedGroups()]
    .filter(([g]) => (g === "") === core)
    .map(([g, versions]) => discoveryGroup(g, versions));
  return { kind: "APIGroupDiscoveryList", apiVersion: "apidiscovery.k8s.io/v2", metadata: {}, items };
}

function apiGroup(name: string, versions: string[]): Record<string, unknown> {
  const gvs = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { name, versions: gvs, preferredVersion: gvs[0] };
}

type Format = "aggregated" | "legacy";

const isJsonRange = (m: MediaRange) =>
  (m.type === "application" || m.type === "*") && (m.subtype === "json" || m.subtype === "*");

/**
 * Picks the format for the most preferred Accept clause we can serve. kubectl sends
 * `<aggregated v2>,<aggregated v2beta1>,application/json`: v2 wins; a client that knows only legacy discovery
 * sends plain JSON and gets it. Protobuf, YAML and other `as=` formats are skipped, and if nothing is left
 * the answer is 406, on which client-go falls back to the next format it knows.
 */
function negotiate(accept: string, aggregatedAllowed: boolean): Format | undefined {
  for (const m of acceptedMediaTypes(accept)) {
    if (!isJsonRange(m)) continue;
    if (m.params.as === undefined) return "legacy";
    if (
      aggregatedAllowed &&
      m.params.as === "APIGroupDiscoveryList" &&
      m.params.g === "apidiscovery.k8s.io" &&
      m.params.v === "v2"
    )
      return "aggregated";
  }
  return undefined;
}

const NOT_ACCEPTABLE = new ApiError(
  Reason.NotAcceptable,
  "the server was unable to respond with a content type that the client supports",
);

function json(body: unknown, contentType = "application/json"): HttpAnswer {
  const text = JSON.stringify(body);
  // Discovery changes only with a new build, so clients may revalidate by ETag; Vary because the same URL
  // answers legacy or aggregated documents.
  const etag = createHash("sha256").update(text).digest("hex");
  return {
    status: 200,
    contentType,
    body: text,
    headers: { ETag: `"${etag}"`, Vary: "Accept", "Cache-Control": "public" },
  };
}

/**
 * Answers a discovery request, or undefined when `path` is not a discovery path of ours (unknown groups and
 * versions included: the server's 404 applies). A query string on `path` is ignored.
 */
export function discoveryResponse(path: string, accept: string, opts: DiscoveryOptions = {}): HttpAnswer | undefined {
  const pathname = (path.split("?")[0] ?? "").replace(/\/+$/, "");
  // /version is plain JSON whatever the Accept header, like the real server's.
  if (pathname === "/version")
    return { status: 200, contentType: "application/json", body: JSON.stringify(versionInfo()) };

  const seg = pathname.split("/").slice(1);
  const groups = servedGroups();
  const root = seg.length === 1 && (seg[0] === "api" || seg[0] === "apis");
  const coreGv = seg.length === 2 && seg[0] === "api" && groups.get("")?.includes(seg[1]!);
  const group = seg[0] === "apis" && seg.length >= 2 && seg[1] !== "" ? groups.get(seg[1]!) : undefined;
  const namedGroup = group !== undefined && seg.length === 2;
  const namedGv = group !== undefined && seg.length === 3 && group.includes(seg[2]!);
  if (!root && !coreGv && !namedGroup && !namedGv) return undefined;

  const format = negotiate(accept, root);
  if (format === undefined)
    return {
      status: NOT_ACCEPTABLE.code,
      contentType: "application/json",
      body: JSON.stringify(statusOf(NOT_ACCEPTABLE)),
    };
  if (format === "aggregated") return json(aggregatedDiscovery(seg[0] === "api"), AGGREGATED_DISCOVERY_V2);

  if (root && seg[0] === "api") {
    const versions = groups.get("") ?? [];
    const cidrs = opts.serverAddress ? [{ clientCIDR: "0.0.0.0/0", serverAddress: opts.serverAddress }] : [];
    return json({ kind: "APIVersions", versions, serverAddressByClientCIDRs: cidrs });
  }
  if (root) {
    const list = [...groups].filter(([g]) => g !== "").map(([g, versions]) => apiGroup(g, versions));
    return json({ kind: "APIGroupList", apiVersion: "v1", groups: list });
  }
  if (namedGroup) return json({ kind: "APIGroup", apiVersion: "v1", ...apiGroup(seg[1]!, group) });
  const [g, v] = coreGv ? ["", seg[1]!] : [seg[1]!, seg[2]!];
  return json({
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: groupVersion({ group: g, version: v }),
    resources: apiResources(g, v),
  });
}
