// Read-only queries over the folded state.
import { metaOf, type KubeObject, type ObjectIdentity } from "@kubefed/events";
import { CORE_GROUP, NAMESPACE_KIND, kindKey } from "@kubefed/names";
import { IMPLICIT_NAMESPACES, OUTCOME_BUCKETS, bucketOf, bucketPath, nameKey, prefixRange } from "./keys.ts";
import type { FederationState, KindIndex, Outcome } from "./types.ts";

/** The object under a `namespace/name` key of a kind's index. */
export function objectIn(index: KindIndex | undefined, nk: string): KubeObject | undefined {
  if (!index) return undefined;
  const [hi, lo] = bucketPath(nk);
  return index.buckets[hi]?.[lo]?.get(nk);
}

/**
 * The `namespace/name` keys of an index in ascending code-unit order: the order etcd lists
 * `/registry/<resource>/<namespace>/<name>` in, so lists come out as Kubernetes returns them, and one namespace is
 * one contiguous range. Computed when first asked for and kept with the (immutable) index: writes, far more
 * frequent than lists, never pay for ordering.
 */
const sortedKeys = new WeakMap<KindIndex, readonly string[]>();
export function keysInOrder(index: KindIndex): readonly string[] {
  let keys = sortedKeys.get(index);
  if (keys) return keys;
  const all: string[] = [];
  for (const mid of index.buckets)
    for (const bucket of mid ?? []) if (bucket) for (const nk of bucket.keys()) all.push(nk);
  keys = Object.freeze(all.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  sortedKeys.set(index, keys);
  return keys;
}

/** Every object of a `group/kind`, as [`namespace/name`, object], in list order. */
export function objectsOfKind(state: FederationState, kk: string): [string, KubeObject][] {
  const index = state.kinds[kk];
  if (!index) return [];
  return keysInOrder(index).map((nk) => [nk, objectIn(index, nk) as KubeObject]);
}

export function getObject(state: FederationState, ref: ObjectIdentity): KubeObject | undefined {
  return objectIn(state.kinds[kindKey(ref)], nameKey(ref));
}

export interface ListSelector {
  readonly group: string;
  readonly kind: string;
  /** Only this namespace; all namespaces when absent. */
  readonly namespace?: string;
}

/** Objects of one kind in Kubernetes list order (by namespace/name). */
export function listObjects(state: FederationState, selector: ListSelector): readonly KubeObject[] {
  const index = state.kinds[kindKey(selector)];
  if (!index) return [];
  let keys = keysInOrder(index);
  if (selector.namespace !== undefined) {
    const [start, end] = prefixRange(keys, `${selector.namespace}/`);
    keys = keys.slice(start, end);
  }
  return keys.map((k) => objectIn(index, k) as KubeObject);
}

export function namespaceExists(state: FederationState, namespace: string): boolean {
  return (
    IMPLICIT_NAMESPACES.has(namespace) ||
    getObject(state, { group: CORE_GROUP, kind: NAMESPACE_KIND, namespace: null, name: namespace }) !== undefined
  );
}

/** How the event with this id ended, while it is among the most recent `outcomeLimit` events. */
export const getOutcome = (state: FederationState, eventId: string): Outcome | undefined =>
  state.outcomes[bucketOf(eventId, OUTCOME_BUCKETS)]?.get(eventId);

/** `metadata.resourceVersion` of a stored object. */
export function resourceVersionOf(object: KubeObject): string | undefined {
  const rv = metaOf(object).resourceVersion;
  return typeof rv === "string" ? rv : undefined;
}
