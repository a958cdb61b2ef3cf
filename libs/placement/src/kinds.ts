/**
 * The kinds the federation propagates into member clusters, and where they live in a member's API: the one list
 * the propagator applies, the member ClusterRole of `kubefed join` grants and `kubefed unjoin --cleanup` removes.
 */
import type { ObjectIdentity } from "@kubefed/events";
import { kindKey } from "@kubefed/names";

export interface MemberKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

const k = (group: string, version: string, kind: string, plural: string, namespaced = true): MemberKind => ({
  group,
  version,
  kind,
  plural,
  namespaced,
});

/** Namespaces first: everything else may live in one. */
export const MEMBER_KINDS: readonly MemberKind[] = [
  k("", "v1", "Namespace", "namespaces", false),
  k("", "v1", "ConfigMap", "configmaps"),
  k("", "v1", "Secret", "secrets"),
  k("", "v1", "Service", "services"),
  k("apps", "v1", "Deployment", "deployments"),
  k("apps", "v1", "ReplicaSet", "replicasets"),
  k("apps", "v1", "DaemonSet", "daemonsets"),
  k("batch", "v1", "Job", "jobs"),
  k("networking.k8s.io", "v1", "Ingress", "ingresses"),
  k("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers"),
];

const byKindKey = new Map(MEMBER_KINDS.map((m) => [kindKey(m), m]));

/** The member kind of a federated object, or undefined when the kind is not propagated (Cluster, Event, ...). */
export const memberKind = (ref: Pick<ObjectIdentity, "group" | "kind">): MemberKind | undefined =>
  byKindKey.get(kindKey(ref));

/** `/api/v1/namespaces/ns/configmaps/name`, or the collection without a name; all namespaces without a namespace. */
export function pathOf(m: MemberKind, namespace: string | null, name?: string): string {
  const base = m.group === "" ? `/api/${m.version}` : `/apis/${m.group}/${m.version}`;
  const ns = m.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  return `${base}${ns}/${m.plural}${name === undefined ? "" : `/${encodeURIComponent(name)}`}`;
}
