// The shape of the folded state of the objects log.
import type { KubeObject } from "@kubefed/events";

/** Where an event sits in the log. `offset` is the decimal partition offset (Kafka hands it over as a string). */
export interface Position {
  readonly offset: string;
}

/** Why the fold refused an event; a subset of the FederationError codes so the API can map it directly. */
export const RejectionReason = {
  AlreadyExists: "AlreadyExists",
  Conflict: "Conflict",
  NotFound: "NotFound",
  Invalid: "Invalid",
  Forbidden: "Forbidden",
} as const;
export type RejectionReason = (typeof RejectionReason)[keyof typeof RejectionReason];

export interface Rejection {
  readonly reason: RejectionReason;
  readonly message: string;
}

interface OutcomeBase {
  readonly eventId: string;
  readonly requestId: string;
  readonly offset: string;
  /** The event's object's key (`objectKey` of @kubefed/names). */
  readonly key: string;
}

export type Outcome =
  | (OutcomeBase & {
      readonly status: "applied";
      /** The object as stored after the event; for a delete, the object as it was when deleted. */
      readonly object: KubeObject;
      /** Every key the event changed: its own, plus the contents of a deleted Namespace. */
      readonly changedKeys: readonly string[];
    })
  | (OutcomeBase & { readonly status: "rejected" } & Rejection);

/** The objects of one (group, kind). */
export interface KindIndex {
  /**
   * By `namespace/name` (namespace "" for cluster-scoped objects), in a two-level trie of OBJECT_FANOUT ×
   * OBJECT_FANOUT buckets chosen by a hash of that key (`bucketPath`): `buckets[hi][lo][nameKey]`. The fold
   * copies the path it changes (two small arrays and one small Map), so a write stays cheap on kinds with tens
   * of thousands of objects. Read through `objectIn` / `objectsOfKind` / `listObjects`.
   */
  readonly buckets: readonly (readonly (ReadonlyMap<string, KubeObject> | undefined)[] | undefined)[];
  /** How many objects the index holds. */
  readonly size: number;
}

export interface FederationState {
  /** By `group/kind`. */
  readonly kinds: Readonly<Record<string, KindIndex>>;
  /**
   * Outcomes of the most recent events, so a waiting API request can read how its event ended: by bucket
   * (`bucketOf(eventId, OUTCOME_BUCKETS)`), then event id. Buckets keep each event's copy small; read through
   * `getOutcome`.
   */
  readonly outcomes: Readonly<Record<string, ReadonlyMap<string, Outcome>>>;
  /** Event ids of `outcomes`, oldest first (= log order). */
  readonly outcomeOrder: readonly string[];
  /** How many outcomes are kept; part of the state so every replica that folds the log agrees on it. */
  readonly outcomeLimit: number;
  /** Offset of the last folded event; null before the first. Also the resourceVersion of a list. */
  readonly lastOffset: string | null;
}
