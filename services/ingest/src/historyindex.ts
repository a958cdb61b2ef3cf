/**
 * The history index: every revision the fold applied, kept by object key, by actor and in log order, so that
 * audit queries, point-in-time reads and restores cost a binary search and a page, never a scan of the log.
 * It is fed the read model's folded steps (the same `evolve`, so a revision is exactly what the API answered at
 * that resourceVersion; rejected writes are not revisions) and holds each revision's object by reference: the
 * current version is shared with the read model's state, older ones are what history costs in memory.
 *
 * Times: events carry the writing ingest's clock, which may step back between replicas. Time queries use the
 * log's running maximum of those times (`clock`), which is monotonic in log order, so "at T" is one offset and a
 * window [since, until) is one contiguous range of the log.
 */
import { EventType, type FederationEvent, type KubeObject } from "@kubefed/events";
import { outcomeOf, type ObjectsStep } from "@kubefed/follower";
import { isNamespaceRef, kindKey, parseObjectKey } from "@kubefed/names";

export const Operation = { Create: "create", Update: "update", Status: "status", Delete: "delete" } as const;
export type Operation = (typeof Operation)[keyof typeof Operation];

const OPERATION: Record<FederationEvent["type"], Operation> = {
  [EventType.ObjectCreated]: Operation.Create,
  [EventType.ObjectUpdated]: Operation.Update,
  [EventType.ObjectStatusUpdated]: Operation.Status,
  [EventType.ObjectDeleted]: Operation.Delete,
};

export interface IndexedRevision {
  /** Position in the index (log order). */
  readonly seq: number;
  /** The offset of the event: the object's resourceVersion at this revision (for a delete, of its deletion). */
  readonly offset: number;
  readonly key: string;
  readonly time: string;
  /** The log's clock at this revision (ms): the running maximum of event times. */
  readonly clock: number;
  readonly user: string;
  readonly requestId: string;
  readonly operation: Operation;
  /** The object as stored after the event; undefined after a delete. */
  readonly object: KubeObject | undefined;
  /** The object's previous revision (seq), -1 for its first. */
  readonly prev: number;
}

/** A page of seqs and where the next one starts (undefined at the end). */
export interface Page {
  readonly seqs: number[];
  readonly next: number | undefined;
}

export interface ChangeQuery {
  readonly actor?: string;
  /** Window of the log's clock, ms: [since, until). */
  readonly since?: number;
  readonly until?: number;
  readonly namespace?: string;
  /** `group/kind` */
  readonly kind?: string;
  readonly limit: number;
  /** The seq to resume from (a continue token). */
  readonly from?: number;
}

/** Revisions a change query looks at per page, beyond which it returns what it found and a continue token. */
export const SCAN_PER_PAGE = 10_000;

/** The first index in sorted `xs` for which `ok` holds (xs.length when none). */
function firstWhere(n: number, ok: (i: number) => boolean): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ok(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export class HistoryIndex {
  private readonly revs: IndexedRevision[] = [];
  private readonly byKey = new Map<string, number[]>();
  private readonly byActor = new Map<string, number[]>();
  /** Every key a kind ever had, and the same sorted (list order) once asked for, until a new key arrives. */
  private readonly kinds = new Map<string, { keys: string[]; sorted: string[] | undefined }>();
  private clockMs = -Infinity;
  /** Every offset before this has been indexed (rejected events included). */
  private through = 0;

  /** Adds the revisions of folded steps (in log order). */
  add(steps: readonly ObjectsStep[]): void {
    for (const step of steps) {
      const offset = Number(step.offset);
      if (offset < this.through) continue;
      this.through = offset + 1;
      const outcome = outcomeOf(step);
      if (outcome?.status !== "applied") continue;
      const { metadata } = step.event;
      const t = Date.parse(metadata.time);
      if (t > this.clockMs) this.clockMs = t;
      for (const key of outcome.changedKeys) {
        const seqs = this.byKey.get(key);
        const own = key === outcome.key;
        const deleted = !own || step.event.type === EventType.ObjectDeleted;
        const seq = this.revs.length;
        this.revs.push({
          seq,
          offset,
          key,
          time: metadata.time,
          clock: this.clockMs,
          user: metadata.actor.user,
          requestId: metadata.requestId,
          // The contents of a deleted Namespace are deleted by its event.
          operation: own ? OPERATION[step.event.type] : Operation.Delete,
          object: deleted ? undefined : outcome.object,
          prev: seqs ? seqs[seqs.length - 1]! : -1,
        });
        if (seqs) seqs.push(seq);
        else {
          this.byKey.set(key, [seq]);
          const kk = kindKey(parseObjectKey(key));
          const kind = this.kinds.get(kk);
          if (kind) {
            kind.keys.push(key);
            kind.sorted = undefined;
          } else this.kinds.set(kk, { keys: [key], sorted: undefined });
        }
        const actor = this.byActor.get(metadata.actor.user);
        if (actor) actor.push(seq);
        else this.byActor.set(metadata.actor.user, [seq]);
      }
    }
  }

  /** The offset after the last indexed event. */
  get next(): number {
    return this.through;
  }

  get size(): number {
    return this.revs.length;
  }

  revision(seq: number): IndexedRevision {
    return this.revs[seq]!;
  }

  /** The revisions of one object (oldest first), a page of them from `from`. */
  revisionsOf(key: string, limit: number, from = 0): Page {
    const seqs = this.byKey.get(key) ?? [];
    const end = limit > 0 ? Math.min(seqs.length, from + limit) : seqs.length;
    return { seqs: seqs.slice(from, end), next: end < seqs.length ? end : undefined };
  }

  /** How many revisions an object has. */
  revisionCount(key: string): number {
    return this.byKey.get(key)?.length ?? 0;
  }

  /** The object's revision current at `offset` (its last change at or before it), if any. */
  revisionAt(key: string, offset: number): IndexedRevision | undefined {
    const seqs = this.byKey.get(key);
    if (!seqs) return undefined;
    const i = firstWhere(seqs.length, (j) => this.revs[seqs[j]!]!.offset > offset) - 1;
    return i >= 0 ? this.revs[seqs[i]!] : undefined;
  }

  /** The object as stored at `offset`; undefined when it did not exist then. */
  objectAt(key: string, offset: number): KubeObject | undefined {
    return this.revisionAt(key, offset)?.object;
  }

  /** Every object of a kind (optionally one namespace) that existed at `offset`, in list order. */
  listAt(kk: string, namespace: string | undefined, offset: number): KubeObject[] {
    const kind = this.kinds.get(kk);
    if (!kind) return [];
    kind.sorted ??= [...kind.keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const prefix = namespace === undefined ? undefined : `${kk}/${namespace}/`;
    const out: KubeObject[] = [];
    for (const key of kind.sorted) {
      if (prefix !== undefined && !key.startsWith(prefix)) continue;
      const o = this.objectAt(key, offset);
      if (o) out.push(o);
    }
    return out;
  }

  /** The offset of the last revision at or before time `ms` (by the log's clock); undefined before the first. */
  offsetAtTime(ms: number): number | undefined {
    const i = firstWhere(this.revs.length, (j) => this.revs[j]!.clock > ms) - 1;
    return i >= 0 ? this.revs[i]!.offset : undefined;
  }

  /** The time of the first revision, ms; undefined when there is none. */
  get firstTime(): number | undefined {
    return this.revs[0]?.clock;
  }

  /**
   * Changes in log order matching the query, one page: at most `limit` results and at most SCAN_PER_PAGE
   * revisions looked at, so a selective filter over a long window costs pages, not one long request.
   */
  changes(q: ChangeQuery): Page {
    const list = q.actor !== undefined ? (this.byActor.get(q.actor) ?? []) : undefined;
    const n = list ? list.length : this.revs.length;
    const at = (i: number) => this.revs[list ? list[i]! : i]!;
    const start = Math.max(q.from ?? 0, q.since === undefined ? 0 : firstWhere(n, (i) => at(i).clock >= q.since!));
    const end = q.until === undefined ? n : firstWhere(n, (i) => at(i).clock >= q.until!);
    const kindPrefix = q.kind === undefined ? undefined : `${q.kind}/`;
    const seqs: number[] = [];
    let i = start;
    for (; i < end && i - start < SCAN_PER_PAGE && (q.limit <= 0 || seqs.length < q.limit); i++) {
      const r = at(i);
      if (kindPrefix !== undefined && !r.key.startsWith(kindPrefix)) continue;
      if (q.namespace !== undefined && !inNamespace(r.key, q.namespace)) continue;
      seqs.push(r.seq);
    }
    return { seqs, next: i < end ? i : undefined };
  }
}

/** An object of the namespace, or the Namespace itself. */
function inNamespace(key: string, namespace: string): boolean {
  const ref = parseObjectKey(key);
  return ref.namespace === namespace || (isNamespaceRef(ref) && ref.name === namespace);
}
