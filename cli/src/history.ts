import { request } from "node:https";
import { KubeConfig } from "@kubernetes/client-node";

export interface HistoryOptions {
  target: string;
  namespace?: string;
  context?: string;
  kubeconfig?: string;
  output: "table" | "json";
}

interface Revision {
  resourceVersion: string;
  time: string;
  user: string;
  operation: string;
  changes: { op: string; path: string }[];
}

const SIGN: Record<string, string> = { added: "+", removed: "-", changed: "~" };

/** Renders revisions as kubectl-style columns. */
export function formatRevisions(revisions: Revision[]): string {
  const rows = [
    ["REVISION", "TIME", "USER", "OPERATION", "CHANGES"],
    ...revisions.map((r) => [
      r.resourceVersion,
      r.time.replace(/\.\d+Z$/, "Z"),
      r.user,
      r.operation,
      r.operation === "create" || r.operation === "delete"
        ? ""
        : r.changes.map((c) => `${SIGN[c.op] ?? "?"}${c.path}`).join(", ") || "(no change)",
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3)))
        .join("")
        .trimEnd(),
    )
    .join("\n");
}

export function parseTarget(target: string): { resource: string; name: string } {
  const m = /^([^/\s]+)\/([^/\s]+)$/.exec(target);
  if (!m) throw new Error(`expected TYPE/NAME (for example deployment/web), got "${target}"`);
  return { resource: m[1]!, name: m[2]! };
}

/** Asks the federation API for the history of one object and prints it. */
export async function history(o: HistoryOptions): Promise<string> {
  const { resource, name } = parseTarget(o.target);
  const kc = new KubeConfig();
  if (o.kubeconfig) kc.loadFromFile(o.kubeconfig);
  else kc.loadFromDefault();
  if (o.context) {
    if (!kc.getContextObject(o.context)) throw new Error(`context "${o.context}" does not exist in the kubeconfig`);
    kc.setCurrentContext(o.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("the kubeconfig has no current cluster: pass --context");
  const namespace = o.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? "default";
  const url = new URL("/federation/history", cluster.server);
  url.search = new URLSearchParams({ resource, name, namespace }).toString();
  const opts: import("node:https").RequestOptions = { method: "GET", headers: {} };
  await kc.applyToHTTPSOptions(opts);
  const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(url, opts, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", (e) => reject(new Error(`cannot reach the federation API at ${cluster.server}: ${e.message}`)));
    req.end();
  });
  let parsed: { message?: string; revisions?: Revision[] };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    throw new Error(`unexpected answer from ${cluster.server} (HTTP ${status}); is this a federation context?`);
  }
  if (status !== 200) throw new Error(parsed.message ?? `HTTP ${status}`);
  return o.output === "json" ? JSON.stringify(parsed, null, 2) : formatRevisions(parsed.revisions ?? []);
}
