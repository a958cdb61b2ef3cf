// Adds and removes the federation's entries (cluster, user and context, all named after the federation) in a
// kubeconfig file, leaving everything else in it as it was. The current context is not changed: the user
// switches with `kubectl config use-context NAME`, as after the original's init.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { parse, stringify } from "yaml";

export interface FederationContext {
  readonly name: string;
  readonly server: string;
  readonly caPem: string;
  readonly credentials: { readonly token: string } | { readonly username: string; readonly password: string };
}

/** The file kubectl would write to: --kubeconfig, else the first of $KUBECONFIG, else ~/.kube/config. */
export function kubeconfigPath(flag: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  if (flag) return flag;
  const first = (env["KUBECONFIG"] ?? "").split(":").find((p) => p !== "");
  return first ?? join(homedir(), ".kube", "config");
}

type Named = { name?: unknown; [key: string]: unknown };
interface KubeconfigDoc {
  clusters?: Named[];
  users?: Named[];
  contexts?: Named[];
  [key: string]: unknown;
}

const read = (path: string): KubeconfigDoc => {
  if (!existsSync(path)) return { apiVersion: "v1", kind: "Config", preferences: {} };
  const doc: unknown = parse(readFileSync(path, "utf8"));
  return typeof doc === "object" && doc !== null ? (doc as KubeconfigDoc) : {};
};

function write(path: string, doc: KubeconfigDoc): void {
  mkdirSync(dirname(path), { recursive: true });
  // Written beside it and renamed: an interrupted write never leaves half a kubeconfig.
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, stringify(doc, { lineWidth: 0 }), { mode: 0o600 });
  renameSync(tmp, path);
}

const without = (list: Named[] | undefined, name: string): Named[] => (list ?? []).filter((e) => e.name !== name);

export function hasContext(path: string, name: string): boolean {
  return (read(path).contexts ?? []).some((c) => c.name === name);
}

/** Adds (or replaces) cluster, user and context NAME. */
export function writeContext(path: string, c: FederationContext): void {
  const doc = read(path);
  doc.clusters = [
    ...without(doc.clusters, c.name),
    {
      name: c.name,
      cluster: { server: c.server, "certificate-authority-data": Buffer.from(c.caPem).toString("base64") },
    },
  ];
  doc.users = [...without(doc.users, c.name), { name: c.name, user: { ...c.credentials } }];
  doc.contexts = [...without(doc.contexts, c.name), { name: c.name, context: { cluster: c.name, user: c.name } }];
  write(path, doc);
}

/** Removes cluster, user and context NAME; says whether there was anything to remove. */
export function removeContext(path: string, name: string): boolean {
  if (!existsSync(path)) return false;
  const doc = read(path);
  const before = JSON.stringify([doc.clusters, doc.users, doc.contexts]);
  doc.clusters = without(doc.clusters, name);
  doc.users = without(doc.users, name);
  doc.contexts = without(doc.contexts, name);
  if (doc["current-context"] === name) doc["current-context"] = "";
  if (JSON.stringify([doc.clusters, doc.users, doc.contexts]) === before) return false;
  write(path, doc);
  return true;
}
