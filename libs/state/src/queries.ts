// Read-only queries over the folded state.
import type { KubeObject, ObjectIdentity } from "@kubefed/events";
import { IMPLICIT_NAMESPACES, NAMESPACE_KIND, CORE_GROUP, kindKey, nameKey, prefixRange } from "./keys.ts";
import type { FederationState, Outcome } from "./types.ts";

export function getObject(
  state: FederationState,
  ref: ObjectIdentity,
): KubeObject | undefined {
  return state.kinds[kindKey(ref)]?.objects[nameKey(ref)];
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
  let keys = index.order;
  if (selector.namespace !== undefined) {
    const [start, end] = prefixRange(index.order, `${selector.namespace}/`);
    keys = index.order.slice(start, end);
  }
  return keys.map((k) => index.objects[k] as KubeObject);
}

export function namespaceExists(state: FederationState, namespace: string): boolean {
  return (
    IMPLICIT_NAMESPACES.has(namespace) ||
    getObject(state, { group: CORE_GROUP, kind: NAMESPACE_KIND, namespace: null, name: namespace }) !== undefined
  );
}

/** How the event with this id ended, while it is among the most recent `outcomeLimit` events. */
export const getOutcome = (state: FederationState, eventId: string): Outcome | undefined => state.outcomes[eventId];

/** `metadata.resourceVersion` of a stored object. */
export function resourceVersionOf(object: KubeObject): string | undefined {
  const metadata = object.metadata;
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) return undefined;
  const rv = metadata.resourceVersion;
  return typeof rv === "string" ? rv : undefined;
}
