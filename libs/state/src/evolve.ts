// The fold of the objects log: `evolve(state, event, position)`. Pure and deterministic: everything it needs
// (uid, time, resourceVersion) arrives with the event and its position, so every consumer that folds the same log
// reaches the same state, and the fold (not the ingest) arbitrates conflicts.
import { castDraft, freeze, isDraft, original, produce, type Draft } from "immer";
import {
  ErrorCode,
  EventType,
  FederationError,
  apiVersionOf,
  type FederationEvent,
  type JsonObject,
  type JsonValue,
  type KubeObject,
  type ObjectRef,
} from "@kubefed/events";
import { isJsonObject, jsonEqual } from "./json.ts";
import { OUTCOME_BUCKETS, bucketOf, isNamespaceRef, joinKey, kindKey, lowerBound, nameKey, objectKey, prefixRange } from "./keys.ts";
import { checkEvent } from "./preconditions.ts";
import { getObject, getOutcome } from "./queries.ts";
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
function materialize(ref: ObjectRef, payload: KubeObject, server: ServerFields, status: JsonValue | undefined): KubeObject {
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

const metadataOf = (object: KubeObject): JsonObject => (isJsonObject(object.metadata) ? object.metadata : {});

function serverFieldsOf(object: KubeObject): Omit<ServerFields, "resourceVersion"> {
  const m = metadataOf(object);
  return {
    uid: typeof m.uid === "string" ? m.uid : "",
    generation: typeof m.generation === "number" ? m.generation : 1,
    creationTimestamp: typeof m.creationTimestamp === "string" ? m.creationTimestamp : "",
  };
}

// ---- index mutations (on the immer draft) ------------------------------------------------------------------

type StateDraft = Draft<FederationState>;

/**
 * The plain array behind a draft array. Arrays of the state are never mutated through their draft (an insert
 * into a draft array moves every later element through a proxy trap: quadratic on big kinds); they are rebuilt
 * natively from this and assigned.
 */
function plain(a: readonly string[]): readonly string[] {
  return isDraft(a) ? (original(a as string[]) as readonly string[]) : a;
}

function putObject(draft: StateDraft, ref: ObjectRef, object: KubeObject): void {
  const kk = kindKey(ref);
  const index = (draft.kinds[kk] ??= { buckets: {}, order: [] });
  const nk = nameKey(ref);
  const bucket = (index.buckets[bucketOf(nk)] ??= {});
  if (!Object.hasOwn(bucket, nk)) {
    const order = plain(index.order);
    const i = lowerBound(order, nk);
    // Frozen here so that immer's finalize does not walk it element by element.
    index.order = Object.freeze([...order.slice(0, i), nk, ...order.slice(i)]) as string[];
  }
  bucket[nk] = castDraft(freeze(object, true));
}

function deleteFromBucket(index: Draft<KindIndex>, nk: string): void {
  const b = bucketOf(nk);
  const bucket = index.buckets[b];
  if (!bucket) return;
  delete bucket[nk];
  if (Object.keys(bucket).length === 0) delete index.buckets[b];
}

function removeObject(draft: StateDraft, kk: string, nk: string): void {
  const index = draft.kinds[kk];
  if (!index) return;
  deleteFromBucket(index, nk);
  const order = plain(index.order);
  const i = lowerBound(order, nk);
  if (order[i] === nk) index.order = Object.freeze([...order.slice(0, i), ...order.slice(i + 1)]) as string[];
  if (index.order.length === 0) delete draft.kinds[kk];
}

/** Removes every object in a namespace, of every kind; returns their object keys. */
function removeNamespaceContents(draft: StateDraft, namespace: string): string[] {
  const removed: string[] = [];
  for (const kk of Object.keys(draft.kinds).sort()) {
    const index = draft.kinds[kk];
    if (!index) continue;
    const order = plain(index.order);
    const [start, end] = prefixRange(order, `${namespace}/`);
    if (start === end) continue;
    for (const nk of order.slice(start, end)) {
      deleteFromBucket(index, nk);
      removed.push(joinKey(kk, nk));
    }
    index.order = Object.freeze([...order.slice(0, start), ...order.slice(end)]) as string[];
    if (index.order.length === 0) delete draft.kinds[kk];
  }
  return removed;
}

function recordOutcome(draft: StateDraft, outcome: Outcome): void {
  (draft.outcomes[bucketOf(outcome.eventId, OUTCOME_BUCKETS)] ??= {})[outcome.eventId] = castDraft(freeze(outcome, true));
  const order = [...plain(draft.outcomeOrder), outcome.eventId];
  const evict = Math.max(0, order.length - draft.outcomeLimit);
  for (const evicted of order.slice(0, evict)) {
    const b = bucketOf(evicted, OUTCOME_BUCKETS);
    const bucket = draft.outcomes[b];
    if (!bucket) continue;
    delete bucket[evicted];
    if (Object.keys(bucket).length === 0) delete draft.outcomes[b];
  }
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
      recordOutcome(draft, { status: "rejected", eventId, requestId, offset: resourceVersion, key, ...rejection });
      return;
    }
    const applied = (object: KubeObject, changedKeys: readonly string[] = [key]): void =>
      recordOutcome(draft, { status: "applied", eventId, requestId, offset: resourceVersion, key, object, changedKeys });
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
        putObject(draft, ref, object);
        applied(object);
        return;
      }
      case EventType.ObjectUpdated: {
        const previous = serverFieldsOf(current);
        const changed = !jsonEqual(contentOf(current), contentOf(event.data.object));
        const server = { ...previous, resourceVersion, generation: previous.generation + (changed ? 1 : 0) };
        const object = materialize(ref, event.data.object, server, current.status);
        putObject(draft, ref, object);
        applied(object);
        return;
      }
      case EventType.ObjectStatusUpdated: {
        const { status: _old, ...rest } = current;
        const status = event.data.object.status;
        const object: KubeObject = {
          ...rest,
          metadata: { ...metadataOf(current), resourceVersion },
          ...(status === undefined ? {} : { status: structuredClone(status) }),
        };
        putObject(draft, ref, object);
        applied(object);
        return;
      }
      case EventType.ObjectDeleted: {
        removeObject(draft, kindKey(ref), nameKey(ref));
        const cascaded = isNamespaceRef(ref) ? removeNamespaceContents(draft, ref.name) : [];
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
