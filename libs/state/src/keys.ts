// Keys of the state index and the lookups on them. Object and kind keys are @kubefed/names' codec.
import type { KeyParts } from "@kubefed/names";

/** `namespace/name` within a kind's index ("" for a cluster-scoped object): the index's own key, not an object key. */
export const nameKey = (ref: Pick<KeyParts, "namespace" | "name">): string => `${ref.namespace ?? ""}/${ref.name}`;

/** The object key (`objectKey`) from its kind key and name key: the two halves the index splits it into. */
export const joinKey = (kind: string, name: string): string => `${kind}/${name}`;

/** Index of the first element >= `value` in an ascending array (code-unit order). */
export function lowerBound(sorted: readonly string[], value: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as string) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The [start, end) range of keys that begin with `prefix`; contiguous because the array is sorted. */
export function prefixRange(sorted: readonly string[], prefix: string): readonly [number, number] {
  const start = lowerBound(sorted, prefix);
  let end = start;
  while (end < sorted.length && (sorted[end] as string).startsWith(prefix)) end++;
  return [start, end];
}

/**
 * Namespaces that exist without a Namespace object. Kubernetes rejects namespaced objects in a missing namespace
 * (NotFound), and the fold mirrors that, except for `default`: a federation must accept `kubectl create` into
 * `default` from its first event on, without a bootstrap write that two ingest replicas could race on. For the same
 * reason it cannot be deleted (Forbidden, as in Kubernetes). The ingest may still create a `default` Namespace
 * object so that `kubectl get ns` shows it.
 */
export const IMPLICIT_NAMESPACES: ReadonlySet<string> = new Set(["default"]);

/** Fan-out of each level of a kind's two-level bucket trie (see KindIndex.buckets). Part of the state's shape. */
export const OBJECT_FANOUT = 32;

/** How many buckets the recent outcomes are spread over (see FederationState.outcomes). */
export const OUTCOME_BUCKETS = 16;

/** FNV-1a over a key's UTF-16 code units. */
function fnv1a(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The bucket of a key among `buckets` (the outcome buckets). */
export function bucketOf(key: string, buckets: number): string {
  return String(fnv1a(key) % buckets);
}

/** Where a `namespace/name` key lives in a kind's bucket trie: [hi, lo]. */
export function bucketPath(nk: string): readonly [number, number] {
  const h = fnv1a(nk);
  return [(h >>> 5) % OBJECT_FANOUT, h % OBJECT_FANOUT];
}
