/**
 * One way for the history commands to call the federation API with a kubeconfig context: JSON in and out, a
 * Kubernetes Status refusal becomes an Error with its message (the CLI prints it as its one line).
 */
import { request, type RequestOptions } from "node:https";
import { KubeConfig } from "@kubernetes/client-node";

export interface ConnectionOptions {
  context?: string;
  kubeconfig?: string;
}

export interface FederationApi {
  server: string;
  /** The namespace of the context, else "default". */
  namespace: string;
  call(method: string, path: string, query?: Record<string, string | undefined>, accept?: string): Promise<any>;
}

export function connect(o: ConnectionOptions): FederationApi {
  const kc = new KubeConfig();
  if (o.kubeconfig) kc.loadFromFile(o.kubeconfig);
  else kc.loadFromDefault();
  if (o.context) {
    if (!kc.getContextObject(o.context)) throw new Error(`context "${o.context}" does not exist in the kubeconfig`);
    kc.setCurrentContext(o.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("the kubeconfig has no current cluster: pass --context");
  const server = cluster.server;
  return {
    server,
    namespace: kc.getContextObject(kc.getCurrentContext())?.namespace ?? "default",
    async call(method, path, query = {}, accept = "application/json") {
      const url = new URL(path, server);
      for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
      const opts: RequestOptions = { method, headers: { accept } };
      await kc.applyToHTTPSOptions(opts);
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(url, opts, (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => (text += c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
        });
        req.on("error", (e) => reject(new Error(`cannot reach the federation API at ${server}: ${e.message}`)));
        req.end();
      });
      let parsed: any;
      try {
        parsed = JSON.parse(body);
      } catch {
        throw new Error(`unexpected answer from ${server} (HTTP ${status}); is this a federation context?`);
      }
      if (status < 200 || status > 299) throw new Error(String(parsed?.message ?? `HTTP ${status}`));
      return parsed;
    },
  };
}

/** Where a resource type lives, from the API's aggregated discovery (as kubectl finds it). */
export interface ResourceInfo {
  group: string;
  version: string;
  resource: string;
  kind: string;
  namespaced: boolean;
}

const AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

interface DiscoveredResource {
  resource: string;
  singularResource?: string;
  shortNames?: string[];
  scope: string;
  responseKind?: { kind: string };
}

/** Resolves TYPE (plural, singular, kind or short name, optionally `.group`) as kubectl does. */
export async function resolveType(api: FederationApi, typed: string): Promise<ResourceInfo> {
  const lower = typed.toLowerCase();
  const dot = lower.indexOf(".");
  const [name, group] = dot > 0 ? [lower.slice(0, dot), lower.slice(dot + 1)] : [lower, undefined];
  const lists = await Promise.all([api.call("GET", "/api", {}, AGGREGATED), api.call("GET", "/apis", {}, AGGREGATED)]);
  for (const list of lists)
    for (const g of list.items as {
      metadata: { name?: string };
      versions: { version: string; resources: DiscoveredResource[] }[];
    }[]) {
      const groupName = g.metadata.name ?? "";
      if (group !== undefined && group !== groupName) continue;
      const v = g.versions[0];
      for (const r of v?.resources ?? []) {
        const kind = r.responseKind?.kind ?? "";
        if ([r.resource, r.singularResource, kind.toLowerCase(), ...(r.shortNames ?? [])].includes(name))
          return {
            group: groupName,
            version: v!.version,
            resource: r.resource,
            kind,
            namespaced: r.scope === "Namespaced",
          };
      }
    }
  throw new Error(`the server doesn't have a resource type "${typed}"`);
}

/** The collection path of a resource type, in a namespace or across all. */
export function collectionPath(r: ResourceInfo, namespace: string | undefined): string {
  const base = r.group === "" ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  return r.namespaced && namespace !== undefined
    ? `${base}/namespaces/${encodeURIComponent(namespace)}/${r.resource}`
    : `${base}/${r.resource}`;
}

export function parseTarget(target: string): { resource: string; name: string } {
  const m = /^([^/\s]+)\/([^/\s]+)$/.exec(target);
  if (!m) throw new Error(`expected TYPE/NAME (for example deployment/web), got "${target}"`);
  return { resource: m[1]!, name: m[2]! };
}

/** Aligned columns, kubectl style: three spaces between, the last column unpadded. */
export function columns(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3)))
        .join("")
        .trimEnd(),
    )
    .join("\n");
}
