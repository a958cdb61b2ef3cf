import { describe, expect, it } from "vitest";
import { RbacIndex, escalationMessage, forbiddenMessage } from "./authorizer.ts";
import type { Attributes, PolicyRule, RbacObject, UserInfo } from "./types.ts";

const user = (name: string, ...groups: string[]): UserInfo => ({
  user: name,
  uid: "",
  groups: [...groups, "system:authenticated"],
});
const role = (namespace: string, name: string, rules: PolicyRule[]): RbacObject => ({
  metadata: { name, namespace },
  rules,
});
const clusterRole = (name: string, rules: PolicyRule[], labels?: Record<string, string>): RbacObject => ({
  metadata: { name, ...(labels ? { labels } : {}) },
  rules,
});
const binding = (
  namespace: string | undefined,
  name: string,
  roleRef: { kind: string; name: string },
  subjects: { kind: string; name: string; namespace?: string }[],
): RbacObject => ({
  metadata: { name, ...(namespace ? { namespace } : {}) },
  roleRef: { apiGroup: "rbac.authorization.k8s.io", ...roleRef },
  subjects,
});
const res = (verb: string, apiGroup: string, resource: string, namespace = "", more: Partial<Attributes> = {}) =>
  ({ verb, resourceRequest: true, apiGroup, resource, namespace, ...more }) as Attributes;
const empty = { roles: [], clusterRoles: [], roleBindings: [], clusterRoleBindings: [] };

describe("RbacIndex.authorize", () => {
  const index = new RbacIndex(
    {
      ...empty,
      roles: [
        role("shop", "deployer", [{ verbs: ["get", "update"], apiGroups: ["apps"], resources: ["deployments/scale"] }]),
        role("shop", "one-cm", [
          { verbs: ["get"], apiGroups: [""], resources: ["configmaps"], resourceNames: ["cfg"] },
        ]),
      ],
      clusterRoles: [
        clusterRole("status-reader", [{ verbs: ["get"], apiGroups: ["*"], resources: ["*/status"] }]),
        clusterRole("metrics", [{ verbs: ["get"], nonResourceURLs: ["/metrics", "/logs/*"] }]),
      ],
      roleBindings: [
        binding("shop", "d", { kind: "Role", name: "deployer" }, [{ kind: "User", name: "alice" }]),
        binding("shop", "c", { kind: "Role", name: "one-cm" }, [{ kind: "Group", name: "devs" }]),
        binding("shop", "sa", { kind: "ClusterRole", name: "view" }, [{ kind: "ServiceAccount", name: "robot" }]),
        binding("shop", "gone", { kind: "Role", name: "missing" }, [{ kind: "User", name: "dan" }]),
      ],
      clusterRoleBindings: [
        binding(undefined, "s", { kind: "ClusterRole", name: "status-reader" }, [{ kind: "User", name: "bob" }]),
        binding(undefined, "m", { kind: "ClusterRole", name: "metrics" }, [{ kind: "Group", name: "ops" }]),
      ],
    },
    { restrictedNamespaces: ["kubefed-system"] },
  );
  const allowed = (u: UserInfo, a: Attributes) => index.authorize(u, a).allowed;

  it("allows system:masters everything, RBAC or not", () => {
    expect(allowed(user("root", "system:masters"), res("delete", "federation", "clusters"))).toBe(true);
    expect(allowed(user("root", "system:masters"), { verb: "get", resourceRequest: false, path: "/x" })).toBe(true);
  });

  it("matches subresources exactly, and */status across resources", () => {
    const alice = user("alice");
    expect(allowed(alice, res("update", "apps", "deployments", "shop", { subresource: "scale", name: "w" }))).toBe(
      true,
    );
    expect(allowed(alice, res("update", "apps", "deployments", "shop", { name: "w" }))).toBe(false);
    expect(allowed(alice, res("update", "apps", "deployments", "other", { subresource: "scale" }))).toBe(false);
    expect(allowed(alice, res("patch", "apps", "deployments", "shop", { subresource: "scale" }))).toBe(false);
    const bob = user("bob");
    expect(allowed(bob, res("get", "apps", "deployments", "x", { subresource: "status", name: "w" }))).toBe(true);
    expect(allowed(bob, res("get", "apps", "deployments", "x", { name: "w" }))).toBe(false);
  });

  it("limits resourceNames to the names given (and so never allows a list or a create)", () => {
    const dev = user("eve", "devs");
    expect(allowed(dev, res("get", "", "configmaps", "shop", { name: "cfg" }))).toBe(true);
    expect(allowed(dev, res("get", "", "configmaps", "shop", { name: "other" }))).toBe(false);
    expect(allowed(dev, res("get", "", "configmaps", "shop"))).toBe(false);
  });

  it("binds service accounts by namespace and name (a RoleBinding's namespace by default)", () => {
    expect(allowed(user("system:serviceaccount:shop:robot"), res("list", "", "configmaps", "shop"))).toBe(true);
    expect(allowed(user("system:serviceaccount:other:robot"), res("list", "", "configmaps", "shop"))).toBe(false);
    // view has no Secrets
    expect(allowed(user("system:serviceaccount:shop:robot"), res("get", "", "secrets", "shop"))).toBe(false);
  });

  it("matches non-resource URLs exactly or by a trailing *", () => {
    const op = user("o", "ops");
    expect(allowed(op, { verb: "get", resourceRequest: false, path: "/metrics" })).toBe(true);
    expect(allowed(op, { verb: "get", resourceRequest: false, path: "/logs/a/b" })).toBe(true);
    expect(allowed(op, { verb: "get", resourceRequest: false, path: "/metricsx" })).toBe(false);
    expect(allowed(op, { verb: "post", resourceRequest: false, path: "/metrics" })).toBe(false);
  });

  it("gives every authenticated user discovery and the self reviews, and the unauthenticated only public info", () => {
    expect(allowed(user("x"), { verb: "get", resourceRequest: false, path: "/apis/apps/v1" })).toBe(true);
    expect(allowed(user("x"), res("create", "authorization.k8s.io", "selfsubjectaccessreviews"))).toBe(true);
    const anon: UserInfo = { user: "system:anonymous", uid: "", groups: ["system:unauthenticated"] };
    expect(allowed(anon, { verb: "get", resourceRequest: false, path: "/version" })).toBe(true);
    expect(allowed(anon, { verb: "get", resourceRequest: false, path: "/api" })).toBe(false);
  });

  it("says which roles a user's bindings name that do not exist", () => {
    expect(index.authorize(user("dan"), res("get", "", "configmaps", "shop"))).toEqual({
      allowed: false,
      reason: 'RBAC: role.rbac.authorization.k8s.io "missing" not found',
    });
  });

  it("lets only rules that grant everything act in a restricted namespace", () => {
    const wide = new RbacIndex(
      {
        ...empty,
        clusterRoleBindings: [
          binding(undefined, "e", { kind: "ClusterRole", name: "edit" }, [{ kind: "User", name: "ed" }]),
          binding(undefined, "a", { kind: "ClusterRole", name: "cluster-admin" }, [{ kind: "User", name: "ca" }]),
        ],
      },
      { restrictedNamespaces: ["kubefed-system"] },
    );
    expect(wide.authorize(user("ed"), res("get", "", "secrets", "shop")).allowed).toBe(true);
    expect(wide.authorize(user("ed"), res("get", "", "secrets", "kubefed-system")).allowed).toBe(false);
    expect(wide.authorize(user("ca"), res("get", "", "secrets", "kubefed-system")).allowed).toBe(true);
  });
});

describe("the bootstrap roles", () => {
  const bound = (role: string, ns?: string) =>
    new RbacIndex({
      ...empty,
      ...(ns
        ? { roleBindings: [binding(ns, "b", { kind: "ClusterRole", name: role }, [{ kind: "User", name: "u" }])] }
        : {
            clusterRoleBindings: [
              binding(undefined, "b", { kind: "ClusterRole", name: role }, [{ kind: "User", name: "u" }]),
            ],
          }),
    });
  const can = (i: RbacIndex, a: Attributes) => i.authorize(user("u"), a).allowed;

  it("view reads the federation's kinds but no Secret, and writes nothing", () => {
    const v = bound("view");
    for (const [g, r] of [
      ["", "configmaps"],
      ["apps", "deployments"],
      ["federation", "clusters"],
      ["", "namespaces"],
    ] as const)
      for (const verb of ["get", "list", "watch"]) expect(can(v, res(verb, g, r, "x"))).toBe(true);
    expect(can(v, res("get", "", "secrets", "x"))).toBe(false);
    for (const verb of ["create", "update", "patch", "delete", "deletecollection"])
      expect(can(v, res(verb, "", "configmaps", "x"))).toBe(false);
  });

  it("edit writes namespaced kinds and Secrets, not Clusters, Namespaces or RBAC; admin adds RBAC", () => {
    const e = bound("edit", "shop");
    expect(can(e, res("create", "apps", "deployments", "shop"))).toBe(true);
    expect(can(e, res("get", "", "secrets", "shop"))).toBe(true);
    expect(can(e, res("create", "apps", "deployments", "other"))).toBe(false);
    expect(can(e, res("create", "rbac.authorization.k8s.io", "rolebindings", "shop"))).toBe(false);
    const everywhere = bound("admin");
    expect(can(everywhere, res("create", "rbac.authorization.k8s.io", "rolebindings", "shop"))).toBe(true);
    expect(can(everywhere, res("create", "federation", "clusters"))).toBe(false);
    expect(can(everywhere, res("update", "federation", "clusters", "", { name: "m1" }))).toBe(false);
    expect(can(everywhere, res("delete", "", "namespaces", "shop", { name: "shop" }))).toBe(false);
  });

  it("a ClusterRole labelled aggregate-to-view extends view (and so edit and admin)", () => {
    const i = new RbacIndex({
      ...empty,
      clusterRoles: [
        clusterRole("extra", [{ verbs: ["get"], apiGroups: ["x.io"], resources: ["widgets"] }], {
          "rbac.authorization.k8s.io/aggregate-to-view": "true",
        }),
      ],
      clusterRoleBindings: [
        binding(undefined, "b", { kind: "ClusterRole", name: "admin" }, [{ kind: "User", name: "u" }]),
      ],
    });
    expect(can(i, res("get", "x.io", "widgets", "x"))).toBe(true);
  });

  it("the kubefed:viewers group is bound to view", () => {
    const i = new RbacIndex(empty);
    expect(i.authorize(user("v", "kubefed:viewers"), res("list", "apps", "deployments", "x")).allowed).toBe(true);
    expect(i.authorize(user("v", "kubefed:viewers"), res("create", "apps", "deployments", "x")).allowed).toBe(false);
  });
});

describe("escalation", () => {
  const index = new RbacIndex({
    ...empty,
    roleBindings: [binding("shop", "e", { kind: "ClusterRole", name: "edit" }, [{ kind: "User", name: "u" }])],
  });
  const u = user("u");

  it("lets a user grant what it holds where it holds it", () => {
    expect(
      index.missingRights(u, "shop", [{ verbs: ["get", "list"], apiGroups: [""], resources: ["secrets"] }]),
    ).toEqual([]);
  });

  it("names what the user does not hold, one verb and resource at a time", () => {
    const missing = index.missingRights(u, "shop", [
      { verbs: ["get", "create"], apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles"] },
    ]);
    expect(missing).toEqual([
      { verbs: ["get"], apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles"] },
      { verbs: ["create"], apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles"] },
    ]);
    expect(escalationMessage(u, missing)).toBe(
      'user "u" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
        '{APIGroups:["rbac.authorization.k8s.io"], Resources:["roles"], Verbs:["get"]}\n' +
        '{APIGroups:["rbac.authorization.k8s.io"], Resources:["roles"], Verbs:["create"]}',
    );
  });

  it("a * is covered only by a *, and a namespace's rights not in another namespace", () => {
    expect(index.missingRights(u, "shop", [{ verbs: ["*"], apiGroups: [""], resources: ["configmaps"] }])).toHaveLength(
      1,
    );
    expect(
      index.missingRights(u, "other", [{ verbs: ["get"], apiGroups: [""], resources: ["configmaps"] }]),
    ).toHaveLength(1);
  });

  it("the rules of a binding's role, or why there are none", () => {
    expect(index.roleRefRules({ kind: "ClusterRole", name: "nope" }, "shop")).toBe(
      'clusterrole.rbac.authorization.k8s.io "nope" not found',
    );
    expect(index.roleRefRules({ kind: "ClusterRole", name: "system:basic-user" }, "shop")).toHaveLength(2);
  });
});

describe("forbiddenMessage", () => {
  const u = user("u");
  it("is kube-apiserver's", () => {
    expect(forbiddenMessage(u, res("create", "", "configmaps", "ns"))).toBe(
      'configmaps is forbidden: User "u" cannot create resource "configmaps" in API group "" in the namespace "ns"',
    );
    expect(forbiddenMessage(u, res("get", "apps", "deployments", "ns", { name: "w", subresource: "scale" }))).toBe(
      'deployments.apps "w" is forbidden: User "u" cannot get resource "deployments/scale" in API group "apps" in the namespace "ns"',
    );
    expect(forbiddenMessage(u, res("list", "federation", "clusters"))).toBe(
      'clusters.federation is forbidden: User "u" cannot list resource "clusters" in API group "federation" at the cluster scope',
    );
    expect(forbiddenMessage(u, { verb: "get", resourceRequest: false, path: "/metrics" })).toBe(
      'forbidden: User "u" cannot get path "/metrics"',
    );
  });
});

describe("an index of 1,000 bindings", () => {
  it("looks only at the bindings of the asking user", () => {
    const roleBindings = Array.from({ length: 1000 }, (_, i) =>
      binding(`ns${i % 50}`, `b${i}`, { kind: "ClusterRole", name: "edit" }, [{ kind: "User", name: `user${i}` }]),
    );
    const index = new RbacIndex({ ...empty, roleBindings });
    expect(index.authorize(user("user7"), res("create", "", "configmaps", "ns7")).allowed).toBe(true);
    expect(index.authorize(user("user7"), res("create", "", "configmaps", "ns8")).allowed).toBe(false);
    expect(index.authorize(user("nobody"), res("create", "", "configmaps", "ns7")).allowed).toBe(false);
  });
});
