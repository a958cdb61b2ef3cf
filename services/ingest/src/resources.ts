/**
 * The resources the federation API serves: the federated types, Events (kept in the control plane) and the
 * federation's own Cluster. Discovery, routing and validation all read this one table.
 */
import { apiVersionOf } from "@kubefed/names";

export interface ResourceType {
  /** "" for the core group. */
  group: string;
  version: string;
  /** Plural, lower case, as in URLs. */
  resource: string;
  kind: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  subresources: ("status" | "scale")[];
  /** Federated types are propagated to member clusters; the others stay in the control plane. */
  federated: boolean;
  /** What the resource answers to; a review (SelfSubjectAccessReview, ...) is only created, never stored. */
  verbs: readonly string[];
}

const VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"] as const;

function t(
  group: string,
  version: string,
  resource: string,
  kind: string,
  o: Partial<ResourceType> = {},
): ResourceType {
  return {
    group,
    version,
    resource,
    kind,
    singular: kind.toLowerCase(),
    namespaced: true,
    shortNames: [],
    categories: ["all"],
    subresources: [],
    federated: true,
    verbs: VERBS,
    ...o,
  };
}

/** Group of the federation's own API (the original federation used `federation/v1beta1`). */
export const FEDERATION_GROUP = "federation";
export const FEDERATION_VERSION = "v1beta1";

export const RBAC_GROUP = "rbac.authorization.k8s.io";
/** RBAC objects live in the log like every object; they govern the federation API and are not propagated. */
const rbac = (resource: string, kind: string, namespaced: boolean) =>
  t(RBAC_GROUP, "v1", resource, kind, { namespaced, categories: [], federated: false });
/** Reviews answer a question about the caller (can I?, who am I?) and store nothing. */
const review = (group: string, resource: string, kind: string) =>
  t(group, "v1", resource, kind, { namespaced: false, categories: [], federated: false, verbs: ["create"] });

export const RESOURCES: readonly ResourceType[] = [
  t("", "v1", "namespaces", "Namespace", {
    namespaced: false,
    shortNames: ["ns"],
    categories: [],
    subresources: ["status"],
  }),
  t("", "v1", "configmaps", "ConfigMap", { shortNames: ["cm"], categories: [] }),
  t("", "v1", "secrets", "Secret", { categories: [] }),
  t("", "v1", "services", "Service", { shortNames: ["svc"], subresources: ["status"] }),
  t("", "v1", "events", "Event", { shortNames: ["ev"], categories: [], federated: false }),
  t("apps", "v1", "deployments", "Deployment", { shortNames: ["deploy"], subresources: ["status", "scale"] }),
  t("apps", "v1", "replicasets", "ReplicaSet", { shortNames: ["rs"], subresources: ["status", "scale"] }),
  t("apps", "v1", "daemonsets", "DaemonSet", { shortNames: ["ds"], subresources: ["status"] }),
  t("batch", "v1", "jobs", "Job", { subresources: ["status"] }),
  t("networking.k8s.io", "v1", "ingresses", "Ingress", {
    shortNames: ["ing"],
    categories: [],
    subresources: ["status"],
  }),
  t("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", {
    shortNames: ["hpa"],
    subresources: ["status"],
  }),
  t(FEDERATION_GROUP, FEDERATION_VERSION, "clusters", "Cluster", {
    namespaced: false,
    categories: [],
    subresources: ["status"],
    federated: false,
  }),
  rbac("roles", "Role", true),
  rbac("rolebindings", "RoleBinding", true),
  rbac("clusterroles", "ClusterRole", false),
  rbac("clusterrolebindings", "ClusterRoleBinding", false),
  review("authorization.k8s.io", "selfsubjectaccessreviews", "SelfSubjectAccessReview"),
  review("authorization.k8s.io", "selfsubjectrulesreviews", "SelfSubjectRulesReview"),
  review("authentication.k8s.io", "selfsubjectreviews", "SelfSubjectReview"),
];

/** Whether a resource is a review: created to ask a question, answered at once, never in the log. */
export const isReview = (r: Pick<ResourceType, "verbs">): boolean => r.verbs.length === 1 && r.verbs[0] === "create";

/** The resource type's apiVersion (`apiVersionOf` of @kubefed/names). */
export const groupVersion = (r: Pick<ResourceType, "group" | "version">): string => apiVersionOf(r);

export function findResource(group: string, version: string, resource: string): ResourceType | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.resource === resource);
}

export function findKind(apiVersion: string, kind: string): ResourceType | undefined {
  return RESOURCES.find((r) => groupVersion(r) === apiVersion && r.kind === kind);
}

export function verbsOf(r: ResourceType): string[] {
  return [...r.verbs];
}

/**
 * Resolves what a user types (plural, singular, short name or kind, any case, optionally `.group`) to a
 * resource, as kubectl does for `kubectl get TYPE`.
 */
export function resolveResourceName(input: string): ResourceType | undefined {
  const lower = input.toLowerCase();
  const dot = lower.indexOf(".");
  const [name, group] = dot > 0 ? [lower.slice(0, dot), lower.slice(dot + 1)] : [lower, undefined];
  return RESOURCES.find(
    (r) =>
      (group === undefined || r.group === group) &&
      [r.resource, r.singular, r.kind.toLowerCase(), ...r.shortNames].includes(name),
  );
}
