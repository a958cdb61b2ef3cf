/**
 * The history API, answered from the history index (historyindex.ts): one object's revisions, changes across
 * objects (by actor, time window, namespace, kind: audit and replay), the resourceVersion at a time, and lists
 * as they were at a resourceVersion. Every answer is one page of bounded cost; a continue token resumes it.
 */
import type { JsonValue, KubeObject } from "@kubefed/events";
import { kindKey, objectKey, parseObjectKey } from "@kubefed/names";
import { diffObjects, VOLATILE_METADATA_PATHS, type DiffEntry } from "@kubefed/state";
import type { HistoryIndex, IndexedRevision, Operation } from "./historyindex.ts";
import { ApiError, Reason } from "./status.ts";
import { resolveResourceName, type ResourceType } from "./resources.ts";

export interface Change extends DiffEntry {
  /** The values before and after, as JSON; left out for a Secret, whose history must not print its data. */
  readonly from?: string;
  readonly to?: string;
}

export interface Revision {
  resourceVersion: string;
  time: string;
  user: string;
  requestId: string;
  operation: Operation;
  object: { apiVersion: string; kind: string; namespace: string | null; name: string };
  changes: Change[];
}

/** Pages are at most this long; a client asking for more (or for no limit) gets this many and a continue token. */
export const MAX_PAGE = 500;
const VALUE_CHARS = 120;

/** Resolves `p` (a JSON Pointer) in `v`. */
function at(v: JsonValue | undefined, p: string): JsonValue | undefined {
  let cur = v;
  for (const seg of p.split("/").slice(1)) {
    if (cur === null || typeof cur !== "object") return undefined;
    const k = seg.replaceAll("~1", "/").replaceAll("~0", "~");
    cur = Array.isArray(cur) ? cur[Number(k)] : (cur as Record<string, JsonValue>)[k];
  }
  return cur;
}

const shown = (v: JsonValue | undefined): string | undefined => {
  if (v === undefined) return undefined;
  const s = JSON.stringify(v);
  return s.length > VALUE_CHARS ? `${s.slice(0, VALUE_CHARS - 1)}…` : s;
};

/** What changed from `before` to `after`, with the values (not for a Secret). */
export function readableChanges(before: KubeObject | undefined, after: KubeObject | undefined): Change[] {
  // generation is bookkeeping that follows any spec change; the spec paths themselves are listed.
  const entries = diffObjects(before as JsonValue | undefined, after as JsonValue | undefined, {
    ignore: [...VOLATILE_METADATA_PATHS, "/metadata/generation"],
  });
  if ((after ?? before)?.kind === "Secret" || entries.some((e) => e.path === "")) return entries;
  return entries.map((e) => {
    const from = shown(at(before as JsonValue, e.path));
    const to = shown(at(after as JsonValue, e.path));
    return { ...e, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
  });
}

export function revisionView(index: HistoryIndex, r: IndexedRevision): Revision {
  const prev = r.prev >= 0 ? index.revision(r.prev).object : undefined;
  const ref = parseObjectKey(r.key);
  const shape = r.object ?? prev;
  return {
    resourceVersion: String(r.offset),
    time: r.time,
    user: r.user,
    requestId: r.requestId,
    operation: r.operation,
    object: {
      apiVersion: String(shape?.apiVersion ?? ""),
      kind: ref.kind,
      namespace: ref.namespace,
      name: ref.name,
    },
    changes: r.operation === "create" || r.operation === "delete" ? [] : readableChanges(prev, r.object),
  };
}

/** RFC 3339 (`2026-01-01T10:00:00Z`, fractions and offsets allowed); anything else is refused with its name. */
export function parseTime(value: string, what: string): number {
  const ok = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value);
  const ms = ok ? Date.parse(value) : NaN;
  if (Number.isNaN(ms))
    throw new ApiError(Reason.BadRequest, `${what} "${value}" is not an RFC 3339 time (e.g. 2026-01-01T10:00:00Z)`);
  return ms;
}

function parseLimit(q: URLSearchParams): number {
  const raw = q.get("limit");
  if (raw === null || raw === "") return MAX_PAGE;
  if (!/^\d+$/.test(raw)) throw new ApiError(Reason.BadRequest, `limit "${raw}" is not a non-negative integer`);
  const n = Number(raw);
  return n === 0 || n > MAX_PAGE ? MAX_PAGE : n;
}

function token(value: Record<string, number>): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

function readToken(q: URLSearchParams): Record<string, number> | undefined {
  const t = q.get("continue");
  if (!t) return undefined;
  try {
    const v = JSON.parse(Buffer.from(t, "base64url").toString("utf8")) as unknown;
    if (v && typeof v === "object" && Object.values(v).every((x) => Number.isSafeInteger(x) && (x as number) >= 0))
      return v as Record<string, number>;
  } catch {
    // refused below
  }
  throw new ApiError(Reason.BadRequest, "the continue token is not valid");
}

export function resourceOf(typed: string | null): ResourceType {
  const rt = resolveResourceName(typed ?? "");
  if (!rt) throw new ApiError(Reason.NotFound, `the server doesn't have a resource type "${typed ?? ""}"`);
  return rt;
}

/** The key of the object a history request names (resource, name, namespace parameters). */
export function namedKey(q: URLSearchParams, usage: string): { rt: ResourceType; key: string; name: string } {
  const rt = resourceOf(q.get("resource"));
  const name = q.get("name");
  if (!name) throw new ApiError(Reason.BadRequest, `a name is required: ${usage}`);
  const namespace = rt.namespaced ? q.get("namespace") || "default" : null;
  return { rt, name, key: objectKey({ group: rt.group, kind: rt.kind, namespace, name }) };
}

/** GET /federation/history?resource=TYPE&name=NAME[&namespace=NS][&limit=N][&continue=T] */
export function objectHistory(index: HistoryIndex, q: URLSearchParams): Record<string, unknown> {
  const { rt, key, name } = namedKey(q, "/federation/history?resource=TYPE&name=NAME[&namespace=NS]");
  if (index.revisionCount(key) === 0)
    throw new ApiError(Reason.NotFound, `${rt.resource} "${name}" has no history`, {
      name,
      group: rt.group,
      kind: rt.resource,
    });
  const page = index.revisionsOf(key, parseLimit(q), readToken(q)?.from ?? 0);
  const ref = parseObjectKey(key);
  return {
    kind: "History",
    apiVersion: "federation/v1beta1",
    metadata: page.next !== undefined ? { continue: token({ from: page.next }) } : {},
    object: {
      apiVersion: rt.group ? `${rt.group}/${rt.version}` : rt.version,
      kind: rt.kind,
      namespace: ref.namespace,
      name: ref.name,
    },
    revisions: page.seqs.map((s) => revisionView(index, index.revision(s))),
  };
}

/** GET /federation/changes?[actor=U][&since=T][&until=T][&namespace=NS][&kind=TYPE][&limit=N][&continue=T] */
export function changeHistory(index: HistoryIndex, q: URLSearchParams): Record<string, unknown> {
  const since = q.get("since") ? parseTime(q.get("since")!, "since") : undefined;
  const until = q.get("until") ? parseTime(q.get("until")!, "until") : undefined;
  if (since !== undefined && until !== undefined && until <= since)
    throw new ApiError(Reason.BadRequest, `until (${q.get("until")}) must be after since (${q.get("since")})`);
  const rt = q.get("kind") ? resourceOf(q.get("kind")) : undefined;
  const page = index.changes({
    limit: parseLimit(q),
    ...(q.get("actor") ? { actor: q.get("actor")! } : {}),
    ...(since !== undefined ? { since } : {}),
    ...(until !== undefined ? { until } : {}),
    ...(q.get("namespace") ? { namespace: q.get("namespace")! } : {}),
    ...(rt ? { kind: kindKey(rt) } : {}),
    ...(readToken(q) ? { from: readToken(q)!.from! } : {}),
  });
  return {
    kind: "ChangeList",
    apiVersion: "federation/v1beta1",
    metadata: page.next !== undefined ? { continue: token({ from: page.next }) } : {},
    changes: page.seqs.map((s) => revisionView(index, index.revision(s))),
  };
}

/**
 * The resourceVersion current at a time (GET /federation/resourceversion?time=T): the offset of the last change
 * at or before it. A time before the first change is refused: nothing existed then to read.
 */
export function resourceVersionAt(index: HistoryIndex, q: URLSearchParams): Record<string, unknown> {
  const raw = q.get("time");
  if (!raw) throw new ApiError(Reason.BadRequest, "a time is required: /federation/resourceversion?time=RFC3339");
  const ms = parseTime(raw, "time");
  const offset = index.offsetAtTime(ms);
  if (offset === undefined) {
    const first = index.firstTime;
    throw new ApiError(
      Reason.BadRequest,
      first === undefined
        ? "the federation has no history yet"
        : `time ${raw} is before the first change (${new Date(first).toISOString()})`,
    );
  }
  return { kind: "ResourceVersionAt", apiVersion: "federation/v1beta1", time: raw, resourceVersion: String(offset) };
}

/**
 * A point-in-time resourceVersion of a read, checked against what the index holds: not a decimal offset → 400;
 * later than what is folded → 504 as kube-apiserver answers a list at a future revision ("Too large resource
 * version"); older than the log's first offset → 410 Expired.
 */
export function exactResourceVersion(index: HistoryIndex, rv: string | null, logStart = 0): number {
  if (rv === null || rv === "" || rv === "0")
    throw new ApiError(
      Reason.BadRequest,
      'resourceVersionMatch: Forbidden: "Exact" is forbidden for resourceVersion "0" or unset',
    );
  if (!/^\d+$/.test(rv)) throw new ApiError(Reason.BadRequest, `resourceVersion "${rv}" is not a valid offset`);
  const offset = Number(rv);
  if (offset >= index.next)
    throw new ApiError(Reason.Timeout, `Too large resource version: ${rv}, current: ${index.next - 1}`, {
      causes: [{ reason: "ResourceVersionTooLarge", message: "Too large resource version" }],
    });
  if (offset < logStart)
    throw new ApiError(
      Reason.Expired,
      `The resourceVersion for the provided list is too old (log starts at ${logStart})`,
    );
  return offset;
}

/** The list of `rt` as it was at `offset`: the objects as stored then (members' reported status is not history). */
export function listAt(
  index: HistoryIndex,
  rt: ResourceType,
  namespace: string | undefined,
  offset: number,
): readonly KubeObject[] {
  return index.listAt(kindKey(rt), rt.namespaced ? namespace : undefined, offset);
}

/** The revision an object's restore names: it must be one of the object's own revisions, not its deletion. */
export function revisionToRestore(index: HistoryIndex, key: string, rv: string | null): IndexedRevision {
  if (rv === null || !/^\d+$/.test(rv))
    throw new ApiError(Reason.BadRequest, `revision "${rv ?? ""}" is not a resourceVersion (a decimal offset)`);
  const r = index.revisionAt(key, Number(rv));
  const ref = parseObjectKey(key);
  if (!r || String(r.offset) !== rv)
    throw new ApiError(Reason.NotFound, `${ref.kind} "${ref.name}" has no revision ${rv}`, {
      name: ref.name,
      kind: ref.kind,
    });
  if (!r.object)
    throw new ApiError(
      Reason.BadRequest,
      `revision ${rv} of ${ref.kind} "${ref.name}" is its deletion: restore a revision before it`,
    );
  return r;
}
