// Object keys, `group/kind/namespace/name`: the identity of an object across the project (the Kafka message key of
// the objects log, the state's index, the propagator's queues, the status model). Made and parsed only here, with
// the kinds' prefixes, so no other file spells a key or a literal such as "/Namespace//".

/** What a key is made of: `group` "" for the core group, `namespace` null for a cluster-scoped object. */
export interface KeyParts {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string | null;
  readonly name: string;
}

/** The core API group (ConfigMap, Namespace, Secret...), spelled "" in keys and `v1` in apiVersions. */
export const CORE_GROUP = "";
export const NAMESPACE_KIND = "Namespace";

/**
 * `group/kind/namespace/name`, with "" for the core group and for cluster-scoped objects (e.g. `/ConfigMap/default/app`,
 * `apps/Deployment/shop/web`, `/Namespace//shop`). None of the parts can contain '/' (kinds and groups are DNS names
 * or identifiers, object names are validated at the edge), so the key is unambiguous.
 */
export const objectKey = (ref: KeyParts): string => `${ref.group}/${ref.kind}/${ref.namespace ?? ""}/${ref.name}`;

/** `group/kind`: which index of the state, which member kind. */
export const kindKey = (ref: Pick<KeyParts, "group" | "kind">): string => `${ref.group}/${ref.kind}`;

/** What every key of one kind starts with (`apps/Deployment/`). */
export const kindPrefix = (ref: Pick<KeyParts, "group" | "kind">): string => `${kindKey(ref)}/`;

/**
 * The inverse of `objectKey`. Lenient on purpose, as every reader of keys has been: a missing part reads as "", and
 * anything after the third '/' is the name.
 */
export function parseObjectKey(key: string): KeyParts {
  const a = key.indexOf("/");
  const b = a < 0 ? -1 : key.indexOf("/", a + 1);
  const c = b < 0 ? -1 : key.indexOf("/", b + 1);
  const group = a < 0 ? key : key.slice(0, a);
  const kind = a < 0 ? "" : key.slice(a + 1, b < 0 ? undefined : b);
  const namespace = b < 0 ? "" : key.slice(b + 1, c < 0 ? undefined : c);
  const name = c < 0 ? "" : key.slice(c + 1);
  return { group, kind, namespace: namespace === "" ? null : namespace, name };
}

export const isNamespaceRef = (ref: Pick<KeyParts, "group" | "kind">): boolean =>
  ref.group === CORE_GROUP && ref.kind === NAMESPACE_KIND;

/** The prefix of every Namespace's key: Namespaces are cluster-scoped, so the namespace part is empty. */
const NAMESPACE_KEY_PREFIX = `${kindPrefix({ group: CORE_GROUP, kind: NAMESPACE_KIND })}/`;

/** The key of the Namespace object `name` (`/Namespace//name`). */
export const namespaceKey = (name: string): string => `${NAMESPACE_KEY_PREFIX}${name}`;

/** True when `key` is a Namespace's key; Namespaces go first wherever order matters (everything else lives in one). */
export const isNamespaceKey = (key: string): boolean => key.startsWith(NAMESPACE_KEY_PREFIX);

/** `apiVersion` as Kubernetes spells it: `v1` for the core group, `group/version` otherwise. */
export const apiVersionOf = (ref: { readonly group: string; readonly version: string }): string =>
  ref.group === CORE_GROUP ? ref.version : `${ref.group}/${ref.version}`;
