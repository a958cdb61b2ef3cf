/**
 * `kubefed history` (one object's revisions, or changes across objects by actor and time) and `kubefed replay`
 * (the ordered changes of a window), read page by page from the federation's history endpoints.
 */
import { columns, connect, parseTarget, type ConnectionOptions, type FederationApi } from "./fedapi.ts";

export { parseTarget };

export interface Change {
  op: string;
  path: string;
  from?: string;
  to?: string;
}

export interface Revision {
  resourceVersion: string;
  time: string;
  user: string;
  operation: string;
  object?: { kind: string; namespace: string | null; name: string };
  changes: Change[];
}

const SIGN: Record<string, string> = { added: "+", removed: "-", changed: "~" };

/** `~/spec/replicas: 2 → 3`, `+/data/b: "x"`, `-/metadata/labels/x` (values are left out for Secrets). */
export function describeChange(c: Change): string {
  const head = `${SIGN[c.op] ?? "?"}${c.path}`;
  if (c.op === "changed" && c.from !== undefined && c.to !== undefined) return `${head}: ${c.from} → ${c.to}`;
  if (c.op === "added" && c.to !== undefined) return `${head}: ${c.to}`;
  return head;
}

const when = (t: string) => t.replace(/\.\d+Z$/, "Z");
const changesOf = (r: Revision) =>
  r.operation === "create" || r.operation === "delete" ? "" : r.changes.map(describeChange).join(", ") || "(no change)";

/** One object's revisions as kubectl-style columns. */
export function formatRevisions(revisions: Revision[]): string {
  return columns([
    ["REVISION", "TIME", "USER", "OPERATION", "CHANGES"],
    ...revisions.map((r) => [r.resourceVersion, when(r.time), r.user, r.operation, changesOf(r)]),
  ]);
}

/** Changes across objects, with each one's kind, namespace and name. */
export function formatChanges(changes: Revision[]): string {
  return columns([
    ["REVISION", "TIME", "USER", "OPERATION", "NAMESPACE", "OBJECT", "CHANGES"],
    ...changes.map((r) => [
      r.resourceVersion,
      when(r.time),
      r.user,
      r.operation,
      r.object?.namespace ?? "",
      `${(r.object?.kind ?? "").toLowerCase()}/${r.object?.name ?? ""}`,
      changesOf(r),
    ]),
  ]);
}

/** Every page of a paginated history answer, following continue tokens. */
async function allPages<T>(
  api: FederationApi,
  path: string,
  query: Record<string, string | undefined>,
  field: string,
): Promise<{ first: any; items: T[] }> {
  let first: any;
  const items: T[] = [];
  let token: string | undefined;
  do {
    const page = await api.call("GET", path, { ...query, continue: token });
    first ??= page;
    items.push(...((page[field] as T[] | undefined) ?? []));
    token = page.metadata?.continue as string | undefined;
  } while (token);
  return { first, items };
}

/** An RFC 3339 time, checked here so a typo is one line before any request. */
export function checkTime(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  if (
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value) ||
    Number.isNaN(Date.parse(value))
  )
    throw new Error(`${flag} "${value}" is not an RFC 3339 time (e.g. 2026-01-01T10:00:00Z)`);
  return value;
}

export interface HistoryOptions extends ConnectionOptions {
  target?: string;
  namespace?: string;
  allNamespaces?: boolean;
  actor?: string;
  since?: string;
  until?: string;
  kind?: string;
  output: "table" | "json";
}

export async function history(o: HistoryOptions): Promise<string> {
  const since = checkTime(o.since, "--since");
  const until = checkTime(o.until, "--until");
  const api = connect(o);
  if (o.target !== undefined) {
    if (o.actor !== undefined || since !== undefined || until !== undefined || o.kind !== undefined)
      throw new Error(
        "--actor, --since, --until and --kind select changes across objects: give them without TYPE/NAME",
      );
    const { resource, name } = parseTarget(o.target);
    const { first, items } = await allPages<Revision>(
      api,
      "/federation/history",
      { resource, name, namespace: o.namespace ?? api.namespace },
      "revisions",
    );
    return o.output === "json"
      ? JSON.stringify({ ...first, metadata: {}, revisions: items }, null, 2)
      : formatRevisions(items);
  }
  const { items } = await allPages<Revision>(
    api,
    "/federation/changes",
    {
      actor: o.actor,
      since,
      until,
      kind: o.kind,
      namespace: o.allNamespaces ? undefined : (o.namespace ?? api.namespace),
    },
    "changes",
  );
  return o.output === "json" ? JSON.stringify(items, null, 2) : formatChanges(items);
}

export interface ReplayOptions extends ConnectionOptions {
  from: string;
  to: string;
  namespace?: string;
  output: "table" | "json";
}

/** The ordered changes of [from, to), every namespace unless -n. */
export async function replay(o: ReplayOptions): Promise<string> {
  const since = checkTime(o.from, "--from")!;
  const until = checkTime(o.to, "--to")!;
  if (Date.parse(until) <= Date.parse(since)) throw new Error(`--to (${until}) must be after --from (${since})`);
  const api = connect(o);
  const { items } = await allPages<Revision>(
    api,
    "/federation/changes",
    { since, until, namespace: o.namespace },
    "changes",
  );
  return o.output === "json" ? JSON.stringify(items, null, 2) : formatChanges(items);
}
