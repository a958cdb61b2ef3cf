/**
 * Federation keys (`group/kind/namespace/name`) as the propagator reads and makes them, all in this one file, so
 * that it alone changes when the shared key codec of @kubefed/names replaces refKey and parseKey here.
 */
import { refKey, type KubeObject } from "@kubefed/events";
import { FEDERATION_SYSTEM_NAMESPACE } from "@kubefed/names";
import { memberKind, parseKey, type MemberKind } from "@kubefed/placement";

export { parseKey };

/** The federation key of a member object: the same identity as its federated object. */
export function keyOf(kind: MemberKind, o: KubeObject): string {
  const m = (o.metadata ?? {}) as { name?: string; namespace?: string };
  return refKey({ group: kind.group, kind: kind.kind, namespace: kind.namespaced ? (m.namespace ?? null) : null, name: m.name ?? "" });
}

/** The `group/kind` a key is of (the projection's and the member cache's kind index). */
export function kindKeyOf(key: string): string {
  const { group, kind } = parseKey(key);
  return `${group}/${kind}`;
}

/** The key of a Namespace. */
export const namespaceKey = (name: string): string => refKey({ group: "", kind: "Namespace", namespace: null, name });

export function isNamespaceKey(key: string): boolean {
  const { group, kind } = parseKey(key);
  return group === "" && kind === "Namespace";
}

export function isServiceKey(key: string): boolean {
  const { group, kind } = parseKey(key);
  return group === "" && kind === "Service";
}

/** A Secret of the federation's own system namespace (member credentials). */
export function isFederationSecretKey(key: string): boolean {
  const { group, kind, namespace } = parseKey(key);
  return group === "" && kind === "Secret" && namespace === FEDERATION_SYSTEM_NAMESPACE;
}

/** Whether a key is of a kind the propagator copies into members. */
export const isPropagated = (key: string): boolean => memberKind(parseKey(key)) !== undefined;
