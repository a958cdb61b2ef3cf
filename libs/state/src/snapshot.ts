// The folded state as plain data and back, for snapshots: a reader that loads the state of offset X and folds
// only the tail must reach exactly the state of a reader that folded from 0. Plain data (objects by kind, the
// outcomes in order) rather than the in-memory layout, so the trie's shape can change without old snapshots
// becoming unreadable.
import { freeze } from "immer";
import type { KubeObject } from "@kubefed/events";
import { OBJECT_FANOUT, OUTCOME_BUCKETS, bucketOf, bucketPath } from "./keys.ts";
import { getOutcome, keysInOrder, objectIn } from "./queries.ts";
import type { FederationState, KindIndex, Outcome } from "./types.ts";

export interface StateParts {
  /** By `group/kind`: [`namespace/name`, object] in list order. */
  readonly kinds: Readonly<Record<string, readonly (readonly [string, KubeObject])[]>>;
  /** Oldest first. */
  readonly outcomes: readonly Outcome[];
  readonly outcomeLimit: number;
  readonly lastOffset: string | null;
}

export function partsOf(state: FederationState): StateParts {
  const kinds: Record<string, [string, KubeObject][]> = {};
  for (const [kk, index] of Object.entries(state.kinds))
    kinds[kk] = keysInOrder(index).map((nk) => [nk, objectIn(index, nk)!]);
  return {
    kinds,
    outcomes: state.outcomeOrder.map((id) => getOutcome(state, id)!),
    outcomeLimit: state.outcomeLimit,
    lastOffset: state.lastOffset,
  };
}

function indexOf(entries: readonly (readonly [string, KubeObject])[]): KindIndex {
  const top: (Map<string, KubeObject> | undefined)[][] = [];
  for (const [nk, object] of entries) {
    const [hi, lo] = bucketPath(nk);
    const mid = (top[hi] ??= new Array<Map<string, KubeObject> | undefined>(OBJECT_FANOUT).fill(undefined));
    (mid[lo] ??= new Map()).set(nk, freeze(object, true));
  }
  const buckets = Array.from({ length: OBJECT_FANOUT }, (_, hi) => {
    const mid = top[hi];
    return mid ? Object.freeze(mid.map((b) => (b ? Object.freeze(b) : undefined))) : undefined;
  });
  return Object.freeze({ buckets: Object.freeze(buckets), size: entries.length });
}

/** The state `partsOf` was taken from (equal by every query). */
export function stateOf(parts: StateParts): FederationState {
  const kinds: Record<string, KindIndex> = {};
  for (const [kk, entries] of Object.entries(parts.kinds)) if (entries.length > 0) kinds[kk] = indexOf(entries);
  const outcomes: Record<string, Map<string, Outcome>> = {};
  for (const o of parts.outcomes)
    (outcomes[bucketOf(o.eventId, OUTCOME_BUCKETS)] ??= new Map()).set(o.eventId, freeze(o, true));
  for (const m of Object.values(outcomes)) Object.freeze(m);
  return Object.freeze({
    kinds: Object.freeze(kinds),
    outcomes: Object.freeze(outcomes),
    outcomeOrder: Object.freeze(parts.outcomes.map((o) => o.eventId)),
    outcomeLimit: parts.outcomeLimit,
    lastOffset: parts.lastOffset,
  });
}
