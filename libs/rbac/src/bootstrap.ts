/**
 * The federation's bootstrap policy: the ClusterRoles and ClusterRoleBindings that exist from the start, as
 * kube-apiserver's do. They are built in rather than appended to the log at first start: they hold before the first
 * request (nobody has to be authorized to write them), no two ingest replicas race to append them, and a new
 * version of the federation changes them with its code, as kube-apiserver reconciles its own on every start. The API
 * serves them read-only beside the log's objects, and they cannot be replaced or deleted.
 *
 * admin, edit and view are aggregated as in Kubernetes (labels `rbac.authorization.k8s.io/aggregate-to-*`), so a
 * ClusterRole written with such a label extends them. They cover the federation's kinds; writing Clusters is left
 * to cluster-admin, so that no namespace administrator can point a member's credentials somewhere else.
 */
import {
  RBAC_GROUP,
  SYSTEM_MASTERS,
  ALL_AUTHENTICATED,
  ALL_UNAUTHENTICATED,
  type PolicyRule,
  type RbacObject,
} from "./types.ts";

const READ = ["get", "list", "watch"];
const WRITE = ["create", "delete", "deletecollection", "patch", "update"];
const AGGREGATE = "rbac.authorization.k8s.io/aggregate-to-";
/** The group whose members `kubefed up` and the local environment's viewer identity belong to: bound to view. */
export const VIEWERS_GROUP = "kubefed:viewers";

const rule = (verbs: string[], apiGroups: string[], resources: string[]): PolicyRule => ({
  verbs,
  apiGroups,
  resources,
});

/** What view reads: every federation kind but Secrets, with the status and scale subresources. */
const VIEW_RULES: PolicyRule[] = [
  rule(READ, [""], ["configmaps", "events", "namespaces", "namespaces/status", "services", "services/status"]),
  rule(
    READ,
    ["apps"],
    [
      "daemonsets",
      "daemonsets/status",
      "deployments",
      "deployments/scale",
      "deployments/status",
      "replicasets",
      "replicasets/scale",
      "replicasets/status",
    ],
  ),
  rule(READ, ["batch"], ["jobs", "jobs/status"]),
  rule(READ, ["networking.k8s.io"], ["ingresses", "ingresses/status"]),
  rule(READ, ["autoscaling"], ["horizontalpodautoscalers", "horizontalpodautoscalers/status"]),
  rule(READ, ["federation"], ["clusters", "clusters/status"]),
];

/** What edit adds: writing the namespaced federated kinds, and reading Secrets. Not Clusters, not RBAC. */
const EDIT_RULES: PolicyRule[] = [
  rule([...READ, ...WRITE], [""], ["configmaps", "secrets", "services"]),
  rule(WRITE, ["apps"], ["daemonsets", "deployments", "deployments/scale", "replicasets", "replicasets/scale"]),
  rule(WRITE, ["batch"], ["jobs"]),
  rule(WRITE, ["networking.k8s.io"], ["ingresses"]),
  rule(WRITE, ["autoscaling"], ["horizontalpodautoscalers"]),
];

/** What admin adds: granting rights inside its namespace. */
const ADMIN_RULES: PolicyRule[] = [rule([...READ, ...WRITE], [RBAC_GROUP], ["rolebindings", "roles"])];

const DEFAULTS = { "kubernetes.io/bootstrapping": "rbac-defaults" };
const AUTOUPDATE = { "rbac.authorization.kubernetes.io/autoupdate": "true" };

function clusterRole(
  name: string,
  o: { labels?: Record<string, string>; rules?: PolicyRule[]; aggregateFrom?: string },
): RbacObject {
  return {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: "ClusterRole",
    metadata: { name, labels: { ...DEFAULTS, ...o.labels }, annotations: AUTOUPDATE },
    ...(o.aggregateFrom
      ? { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [`${AGGREGATE}${o.aggregateFrom}`]: "true" } }] } }
      : {}),
    rules: o.rules ?? [],
  };
}

function clusterBinding(name: string, role: string, groups: string[]): RbacObject {
  return {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: "ClusterRoleBinding",
    metadata: { name, labels: DEFAULTS, annotations: AUTOUPDATE },
    roleRef: { apiGroup: RBAC_GROUP, kind: "ClusterRole", name: role },
    subjects: groups.map((g) => ({ apiGroup: RBAC_GROUP, kind: "Group", name: g })),
  };
}

const on = (to: string) => ({ [`${AGGREGATE}${to}`]: "true" });

export const BOOTSTRAP_CLUSTER_ROLES: readonly RbacObject[] = [
  clusterRole("cluster-admin", {
    rules: [
      { verbs: ["*"], apiGroups: ["*"], resources: ["*"] },
      { verbs: ["*"], nonResourceURLs: ["*"] },
    ],
  }),
  clusterRole("admin", { aggregateFrom: "admin" }),
  clusterRole("edit", { labels: on("admin"), aggregateFrom: "edit" }),
  clusterRole("view", { labels: on("edit"), aggregateFrom: "view" }),
  clusterRole("system:aggregate-to-admin", { labels: on("admin"), rules: ADMIN_RULES }),
  clusterRole("system:aggregate-to-edit", { labels: on("edit"), rules: EDIT_RULES }),
  clusterRole("system:aggregate-to-view", { labels: on("view"), rules: VIEW_RULES }),
  clusterRole("system:basic-user", {
    rules: [
      rule(["create"], ["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
      rule(["create"], ["authentication.k8s.io"], ["selfsubjectreviews"]),
    ],
  }),
  clusterRole("system:discovery", {
    rules: [
      {
        verbs: ["get"],
        nonResourceURLs: [
          "/livez",
          "/readyz",
          "/healthz",
          "/version",
          "/version/",
          "/openapi",
          "/openapi/*",
          "/api",
          "/api/*",
          "/apis",
          "/apis/*",
        ],
      },
    ],
  }),
  clusterRole("system:public-info-viewer", {
    rules: [{ verbs: ["get"], nonResourceURLs: ["/livez", "/readyz", "/healthz", "/version", "/version/"] }],
  }),
];

export const BOOTSTRAP_CLUSTER_ROLE_BINDINGS: readonly RbacObject[] = [
  clusterBinding("cluster-admin", "cluster-admin", [SYSTEM_MASTERS]),
  clusterBinding("system:basic-user", "system:basic-user", [ALL_AUTHENTICATED]),
  clusterBinding("system:discovery", "system:discovery", [ALL_AUTHENTICATED]),
  clusterBinding("system:public-info-viewer", "system:public-info-viewer", [ALL_AUTHENTICATED, ALL_UNAUTHENTICATED]),
  clusterBinding("kubefed:viewers", "view", [VIEWERS_GROUP]),
];

const names = (xs: readonly RbacObject[]) => new Set(xs.map((x) => x.metadata.name));
const ROLE_NAMES = names(BOOTSTRAP_CLUSTER_ROLES);
const BINDING_NAMES = names(BOOTSTRAP_CLUSTER_ROLE_BINDINGS);

/** Whether a ClusterRole or ClusterRoleBinding name is one of the built-in ones (which cannot be written). */
export function isBootstrap(kind: string, name: string): boolean {
  if (kind === "ClusterRole") return ROLE_NAMES.has(name);
  if (kind === "ClusterRoleBinding") return BINDING_NAMES.has(name);
  return false;
}
