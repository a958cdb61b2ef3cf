/**
 * The shapes RBAC evaluation reads: the rbac.authorization.k8s.io/v1 objects' fields, who asks (the authenticated
 * user) and what they ask for (kube-apiserver's authorizer attributes).
 */

export interface PolicyRule {
  readonly verbs: readonly string[];
  readonly apiGroups?: readonly string[];
  readonly resources?: readonly string[];
  readonly resourceNames?: readonly string[];
  readonly nonResourceURLs?: readonly string[];
}

export interface Subject {
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  readonly apiGroup?: string;
}

export interface RoleRef {
  readonly apiGroup?: string;
  readonly kind: string;
  readonly name: string;
}

export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly { key: string; operator: string; values?: readonly string[] }[];
}

/** A Role, ClusterRole, RoleBinding or ClusterRoleBinding as stored (only the fields evaluation reads). */
export interface RbacObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly rules?: readonly PolicyRule[] | null;
  readonly aggregationRule?: { readonly clusterRoleSelectors?: readonly LabelSelector[] } | null;
  readonly roleRef?: RoleRef;
  readonly subjects?: readonly Subject[] | null;
}

/** Who asks: what authentication established (or impersonation asserted). */
export interface UserInfo {
  readonly user: string;
  readonly uid: string;
  readonly groups: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

/** What is asked, as kube-apiserver's RequestInfo names it. */
export interface Attributes {
  readonly verb: string;
  /** False for a non-resource path (/api, /metrics, ...): then only `path` counts. */
  readonly resourceRequest: boolean;
  readonly apiGroup?: string;
  readonly resource?: string;
  readonly subresource?: string;
  readonly name?: string;
  /** "" or absent: cluster scope (or all namespaces). */
  readonly namespace?: string;
  readonly path?: string;
}

export interface Decision {
  readonly allowed: boolean;
  /** Why not, when bindings named roles that do not exist (kube-apiserver's "RBAC: ..." reason); "" otherwise. */
  readonly reason: string;
}

export const RBAC_GROUP = "rbac.authorization.k8s.io";
/** The group kube-apiserver's privileged-group authorizer lets do anything, before RBAC is asked. */
export const SYSTEM_MASTERS = "system:masters";
export const ALL_AUTHENTICATED = "system:authenticated";
export const ALL_UNAUTHENTICATED = "system:unauthenticated";
export const ANONYMOUS_USER = "system:anonymous";
const SA_PREFIX = "system:serviceaccount:";

/** `system:serviceaccount:<ns>:<name>`, the user name of a service account. */
export const serviceAccountUser = (namespace: string, name: string): string => `${SA_PREFIX}${namespace}:${name}`;

/** The namespace and name of a service-account user name, or undefined for any other user. */
export function parseServiceAccountUser(user: string): { namespace: string; name: string } | undefined {
  if (!user.startsWith(SA_PREFIX)) return undefined;
  const rest = user.slice(SA_PREFIX.length);
  const colon = rest.indexOf(":");
  if (colon <= 0 || colon === rest.length - 1 || rest.indexOf(":", colon + 1) >= 0) return undefined;
  return { namespace: rest.slice(0, colon), name: rest.slice(colon + 1) };
}
