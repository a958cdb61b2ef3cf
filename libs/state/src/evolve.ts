// The fold of the objects log: `evolve(state, event, position)`. Pure and deterministic: everything it needs
// (uid, time, resourceVersion) arrives with the event and its position, so every consumer that folds the same log
// reaches the same state, and the fold (not the ingest) arbitrates conflicts.
import { castDraft, freeze, produce, type Draft } from "immer";
import {
  ErrorCode,
  EventType,
  FederationError,
  metaOf,
  type FederationEvent,
  type JsonObject,
  type JsonValue,
  type KubeObject,
  type ObjectRef,
} from "@kubefed/events";
import { isJsonObject, jsonEqual } from "./json.ts";
import { apiVersionOf, isNamespaceRef, kindKey, objectKey } from "@kubefed/names";
import { OBJECT_FANOUT, OUTCOME_BUCKETS, bucketOf, bucketPath, joinKey, nameKey, prefixRange } from "./keys.ts";
import { checkEvent } from "./preconditions.ts";
import { getObject, getOutcome, keysInOrder } from "./queries.ts";
import type { FederationState, KindIndex, Outcome, Position } from "./types.ts";

/**
 * Enough for any request still waiting on its event: the API waits for its own offset to be folded, which is at
 * most a few hundred events behind on a busy federation (the ingest reads its own outcome the moment it folds its
 * event, so in practice it needs only the latest; the window also drops a duplicate event id within it). Each
 * event copies the outcome map, so it is kept small. Bounded by count in log order (not by time, which the
 * fold cannot read), so every replica evicts the same outcomes at the same offset.
 */
export const DEFAULT_OUTCOME_LIMIT = 256;

export interface InitialStateOptions {
  readonly outcomeLimit?: number;
}

export function initialState(options: InitialStateOptions = {}): FederationState {
  const outcomeLimit = options.outcomeLimit ?? DEFAULT_OUTCOME_LIMIT;
  if (!Number.isSafeInteger(outcomeLimit) || outcomeLimit < 1) {
    throw new FederationError(ErrorCode.Invalid, `outcomeLimit must be a positive integer, got ${outcomeLimit}`);
  }
  return freeze({ kinds: {}, outcomes: {}, outcomeOrder: [], outcomeLimit, lastOffset: null }, true);
}

function parseOffset(offset: string): bigint {
  if (!/^\d+$/.test(offset)) {
    throw new FederationError(ErrorCode.Internal, `log offset ${JSON.stringify(offset)} is not a decimal integer`, {
      retryable: false,
    });
  }
  return BigInt(offset);
}

/** Kubernetes timestamps have second precision: 2024-05-01T10:00:00Z. */
function toKubeTimestamp(time: string): string {
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? time : new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Metadata fields only the server sets; whatever the client sent for them is dropped. */
const SERVER_METADATA = [
  "name",
  "namespace",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "selfLink",
] as const;

interface ServerFields {
  readonly uid: string;
  readonly resourceVersion: string;
  readonly generation: number;
  readonly creationTimestamp: string;
}

/** The spec-like content of an object: everything but apiVersion, kind, metadata and status. */
function contentOf(object: JsonObject): JsonObject {
  const { apiVersion: _a, kind: _k, metadata: _m, status: _s, ...content } = object;
  return content;
}

/** The object as stored: identity from the ref, server fields from the fold, the rest from the client. */
function materialize(
  ref: ObjectRef,
  payload: KubeObject,
  server: ServerFields,
  status: JsonValue | undefined,
): KubeObject {
  // A copy, so that freezing the state never freezes (or aliases) the caller's event.
  const copy = structuredClone(payload);
  const userMetadata: JsonObject = isJsonObject(copy.metadata) ? copy.metadata : {};
  for (const field of SERVER_METADATA) delete userMetadata[field];
  const metadata: JsonObject = {
    name: ref.name,
    ...(ref.namespace === null ? {} : { namespace: ref.namespace }),
    uid: server.uid,
    resourceVersion: server.resourceVersion,
    generation: server.generation,
    creationTimestamp: server.creationTimestamp,
    ...userMetadata,
  };
  return {
    apiVersion: apiVersionOf(ref),
    kind: ref.kind,
    metadata,
    ...contentOf(copy),
    ...(status === undefined ? {} : { status }),
  };
}

function serverFieldsOf(object: KubeObject): Omit<ServerFields, "resourceVersion"> {
  const m = metaOf(object);
  return {
    uid: typeof m.uid === "string" ? m.uid : "",
    generation: typeof m.generation === "number" ? m.generation : 1,
    creationTimestamp: typeof m.creationTimestamp === "string" ? m.creationTimestamp : "",
  };
}

// ---- index mutations ---------------------------------------------------------------------------------------

type StateDraft = Draft<FederationState>;

/** A copy of a Map with `key` set (a Map copies natively; objects keyed by paths are slow dictionaries). */
function withKey<T>(map: ReadonlyMap<string, T> | undefined, key: string, value: T): ReadonlyMap<string, T> {
  return Object.freeze(new Map(map).set(key, value));
}

/** A copy of a Map without `key`; undefined when nothing is left. */
function withoutKey<T>(map: ReadonlyMap<string, T>, key: string): ReadonlyMap<string, T> | undefined {
  if (map.size <= 1) return undefined;
  const next = new Map(map);
  next.delete(key);
  return Object.freeze(next);
}

const EMPTY_LEVEL: readonly undefined[] = Object.freeze(new Array<undefined>(OBJECT_FANOUT).fill(undefined));

/**
 * The index with `nk` set to `object`, or removed when `object` is undefined (undefined when that empties it).
 * Copies only the path to the key's bucket, natively, and freezes it: immer's finalize then skips it, where a
 * draft of a big index would be walked and copied entry by entry.
 */
function withEntry(index: KindIndex | undefined, nk: string, object: KubeObject | undefined): KindIndex | undefined {
  const [hi, lo] = bucketPath(nk);
  const top = index?.buckets ?? EMPTY_LEVEL;
  const mid = top[hi] ?? EMPTY_LEVEL;
  const bucket = mid[lo];
  const had = bucket?.has(nk) ?? false;
  if (object === undefined && !had) return index;
  const size = (index?.size ?? 0) + (object === undefined ? -1 : had ? 0 : 1);
  if (size === 0) return undefined;
  const newMid = [...mid];
  newMid[lo] =
    object !== undefined ? withKey(bucket, nk, object) : withoutKey(bucket as ReadonlyMap<string, KubeObject>, nk);
  const newTop = [...top];
  newTop[hi] = Object.freeze(newMid);
  return Object.freeze({ buckets: Object.freeze(newTop), size });
}

/** The kinds of one event's fold: read-your-writes over the state's, assigned to the draft once at the end. */
class KindsWriter {
  private readonly changed = new Map<string, KindIndex | undefined>();
  constructor(private readonly base: FederationState["kinds"]) {}

  get(kk: string): KindIndex | undefined {
    return this.changed.has(kk) ? this.changed.get(kk) : this.base[kk];
  }

  put(kk: string, nk: string, object: KubeObject | undefined): void {
    this.changed.set(kk, withEntry(this.get(kk), nk, object));
  }

  /** Every kind key, changed ones included, ascending. */
  keys(): string[] {
    return [...new Set([...Object.keys(this.base), ...this.changed.keys()])].sort();
  }

  commit(draft: StateDraft): void {
    if (this.changed.size === 0) return;
    const kinds: Record<string, KindIndex> = { ...this.base };
    for (const [kk, index] of this.changed) {
      if (index) kinds[kk] = index;
      else delete kinds[kk];
    }
    draft.kinds = castDraft(Object.freeze(kinds));
  }
}

function putObject(kinds: KindsWriter, ref: ObjectRef, object: KubeObject): void {
  kinds.put(kindKey(ref), nameKey(ref), freeze(object, true));
}

/** Removes every object in a namespace, of every kind; returns their object keys. */
function removeNamespaceContents(kinds: KindsWriter, namespace: string): string[] {
  const removed: string[] = [];
  for (const kk of kinds.keys()) {
    const index = kinds.get(kk);
    if (!index) continue;
    const order = keysInOrder(index);
    const [start, end] = prefixRange(order, `${namespace}/`);
    for (const nk of order.slice(start, end)) {
      kinds.put(kk, nk, undefined);
      removed.push(joinKey(kk, nk));
    }
  }
  return removed;
}

/** Records an event's outcome and evicts the oldest beyond the limit, copying only the buckets it touches. */
function recordOutcome(state: FederationState, draft: StateDraft, outcome: Outcome): void {
  const outcomes: Record<string, ReadonlyMap<string, Outcome>> = { ...state.outcomes };
  const b = bucketOf(outcome.eventId, OUTCOME_BUCKETS);
  outcomes[b] = withKey(outcomes[b], outcome.eventId, freeze(outcome, true));
  const order = [...state.outcomeOrder, outcome.eventId];
  const evict = Math.max(0, order.length - state.outcomeLimit);
  for (const evicted of order.slice(0, evict)) {
    const eb = bucketOf(evicted, OUTCOME_BUCKETS);
    const bucket = outcomes[eb];
    if (!bucket?.has(evicted)) continue;
    const rest = withoutKey(bucket, evicted);
    if (rest) outcomes[eb] = rest;
    else delete outcomes[eb];
  }
  draft.outcomes = castDraft(Object.freeze(outcomes));
  draft.outcomeOrder = Object.freeze(evict > 0 ? order.slice(evict) : order) as string[];
}

// ---- the fold ----------------------------------------------------------------------------------------------

/**
 * Applies one event at one log position, or records why it was rejected. Rules:
 * - An offset at or below `lastOffset` is a redelivery and leaves the state untouched (same object back).
 * - An event id already among the outcomes is a duplicate produce (a producer retry): only `lastOffset` moves.
 * - resourceVersion = the offset; uid = the creating event's id; creationTimestamp = its time (seconds);
 *   generation starts at 1 and grows when anything outside metadata and status changes.
 * - Status changes only through ObjectStatusUpdated; ObjectUpdated keeps the stored status (as Kubernetes does
 *   for kinds with a status subresource); ObjectCreated drops client status, except a Namespace starts Active.
 * - Deleting a Namespace deletes everything in it, at once (deletes are immediate, no finalizers).
 */
export function evolve(state: FederationState, event: FederationEvent, position: Position): FederationState {
  const offset = parseOffset(position.offset);
  if (state.lastOffset !== null && offset <= BigInt(state.lastOffset)) return state;
  const resourceVersion = offset.toString();
  const { eventId, requestId } = event.metadata;
  const { ref } = event.data;
  const key = objectKey(ref);

  return produce(state, (draft) => {
    draft.lastOffset = resourceVersion;
    if (getOutcome(state, eventId) !== undefined) return;

    const rejection = checkEvent(state, event);
    if (rejection) {
      recordOutcome(state, draft, {
        status: "rejected",
        eventId,
        requestId,
        offset: resourceVersion,
        key,
        ...rejection,
      });
      return;
    }
    const kinds = new KindsWriter(state.kinds);
    const applied = (object: KubeObject, changedKeys: readonly string[] = [key]): void => {
      kinds.commit(draft);
      recordOutcome(state, draft, {
        status: "applied",
        eventId,
        requestId,
        offset: resourceVersion,
        key,
        object,
        changedKeys,
      });
    };
    // Preconditions guarantee `current` exists for every type but ObjectCreated.
    const current = getObject(state, ref) as KubeObject;

    switch (event.type) {
      case EventType.ObjectCreated: {
        const server = {
          uid: eventId,
          resourceVersion,
          generation: 1,
          creationTimestamp: toKubeTimestamp(event.metadata.time),
        };
        const status = isNamespaceRef(ref) ? { phase: "Active" } : undefined;
        const object = materialize(ref, event.data.object, server, status);
        putObject(kinds, ref, object);
        applied(object);
        return;
      }
      case EventType.ObjectUpdated: {
        const previous = serverFieldsOf(current);
        const changed = !jsonEqual(contentOf(current), contentOf(event.data.object));
        const server = { ...previous, resourceVersion, generation: previous.generation + (changed ? 1 : 0) };
        const object = materialize(ref, event.data.object, server, current.status);
        putObject(kinds, ref, object);
        applied(object);
        return;
      }
      case EventType.ObjectStatusUpdated: {
        const { status: _old, ...rest } = current;
        const status = event.data.object.status;
        const object: KubeObject = {
          ...rest,
          metadata: { ...metaOf(current), resourceVersion },
          ...(status === undefined ? {} : { status: structuredClone(status) }),
        };
        putObject(kinds, ref, object);
        applied(object);
        return;
      }
      case EventType.ObjectDeleted: {
        kinds.put(kindKey(ref), nameKey(ref), undefined);
        const cascaded = isNamespaceRef(ref) ? removeNamespaceContents(kinds, ref.name) : [];
        applied(current, [key, ...cascaded]);
        return;
      }
      default: {
        const never: never = event;
        throw new FederationError(ErrorCode.Internal, `unknown event type ${(never as { type: string }).type}`);
      }
    }
  });
}

/** Folds a whole log (e.g. a recorded fixture) from `state`, in order. */
export function fold(
  events: Iterable<{ readonly event: FederationEvent; readonly position: Position }>,
  state: FederationState = initialState(),
): FederationState {
  let s = state;
  for (const { event, position } of events) s = evolve(s, event, position);
  return s;
}
