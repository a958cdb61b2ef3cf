/**
 * The propagator's questions about federation keys (`group/kind/namespace/name`). Keys themselves are made and
 * parsed by the one codec of @kubefed/names; this file only adds what the propagator asks of them.
 */
import { metaOf, type KubeObject } from "@kubefed/events";
import {
  CORE_GROUP,
  FEDERATION_SYSTEM_NAMESPACE,
  isNamespaceKey,
  kindKey,
  namespaceKey,
  objectKey,
  parseObjectKey,
} from "@kubefed/names";
import { memberKind, type MemberKind } from "@kubefed/placement";

export { isNamespaceKey, namespaceKey, parseObjectKey };

/** The federation key of a member object: the same identity as its federated object. */
export function keyOf(kind: MemberKind, o: KubeObject): string {
  const m = metaOf(o);
  return objectKey({
    group: kind.group,
    kind: kind.kind,
    namespace: kind.namespaced ? (m.namespace ?? null) : null,
    name: m.name ?? "",
  });
}

/** The `group/kind` a key is of (the projection's and the member cache's kind index). */
export const kindKeyOf = (key: string): string => kindKey(parseObjectKey(key));

export function isServiceKey(key: string): boolean {
  const { group, kind } = parseObjectKey(key);
  return group === CORE_GROUP && kind === "Service";
}

/** A Secret of the federation's own system namespace (member credentials). */
export function isFederationSecretKey(key: string): boolean {
  const { group, kind, namespace } = parseObjectKey(key);
  return group === CORE_GROUP && kind === "Secret" && namespace === FEDERATION_SYSTEM_NAMESPACE;
}

/** Whether a key is of a kind the propagator copies into members. */
export const isPropagated = (key: string): boolean => memberKind(parseObjectKey(key)) !== undefined;
