/**
 * Authorization of the federation API with stock kubectl: the role matrix (view, edit and admin through bindings,
 * Secrets, Clusters and the system namespace), escalation, kube-apiserver's 403 with nothing appended, denials on
 * /metrics, and `kubectl auth can-i` / `--list` / `whoami` compared with a member kube-apiserver given the same RBAC
 * objects. Authentication by basic auth, client certificates and anonymous requests is in auth.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KafkaClient } from "@kubefed/kafka";
import { objectsTopic } from "@kubefed/names";
import { env, kubectl, uniqueName } from "./helpers.ts";
import { api, startFederation, type Federation } from "./federation.ts";

let fed: Federation;
let kafka: KafkaClient;
const id = uniqueName("rb");
const NS = `${id}-a`;
const OTHER = `${id}-b`;
const MEMBER = env().members[0]!.name;
const token = (user: string) => `${id}-${user}-token`;
const USERS = ["erin", "carol", "dave", "bob"];

const endOffset = async () => (await kafka.endOffsets(objectsTopic(fed.name)))[0]!.offset;
const asUser = (user: string, args: string[]) =>
  kubectl(["--context", "federation", "--token", user === "viewer" ? fed.viewerToken : token(user), ...args], {
    kubeconfig: fed.kubeconfig,
  });
const onFed = (args: string[], input?: string) =>
  kubectl(["--context", "federation", ...args], { kubeconfig: fed.kubeconfig, ...(input ? { input } : {}) });
const onMember = (args: string[], input?: string) =>
  kubectl(["--context", MEMBER, ...args], { kubeconfig: fed.kubeconfig, ...(input ? { input } : {}) });
/** kubectl's stderr for a command that must fail. */
async function refused(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return String((e as { stderr?: string }).stderr ?? e);
  }
  throw new Error("the command succeeded");
}
const forbidden = (user: string, verb: string, resource: string, group: string, ns?: string, name?: string) => {
  const qualified = group ? `${resource.split("/")[0]}.${group}` : resource.split("/")[0];
  return `${qualified}${name ? ` "${name}"` : ""} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "${group}" ${ns ? `in the namespace "${ns}"` : "at the cluster scope"}`;
};
const yaml = (docs: object[]) => docs.map((d) => JSON.stringify(d)).join("\n---\n");
const binding = (kind: string, name: string, ns: string | undefined, role: [string, string], subjects: object[]) => ({
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind,
  metadata: { name, ...(ns ? { namespace: ns } : {}) },
  roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: role[0], name: role[1] },
  subjects,
});
const user = (name: string) => ({ apiGroup: "rbac.authorization.k8s.io", kind: "User", name });

beforeAll(async () => {
  fed = await startFederation(env(), "rbac", { tokens: USERS.map((u) => `${token(u)},${u},${u}-uid`) });
  kafka = new KafkaClient({ brokers: [env().kafka.bootstrap], clientId: "rbac-test" });
  await onFed(["create", "namespace", NS]);
  await onFed(["create", "namespace", OTHER]);
  await onFed(
    ["create", "-f", "-"],
    yaml([
      binding("RoleBinding", "erin-edit", NS, ["ClusterRole", "edit"], [user("erin")]),
      binding("RoleBinding", "carol-admin", NS, ["ClusterRole", "admin"], [user("carol")]),
      binding("ClusterRoleBinding", `${id}-dave-edit`, undefined, ["ClusterRole", "edit"], [user("dave")]),
    ]),
  );
  await onFed(["-n", NS, "create", "configmap", "seen", "--from-literal=a=1"]);
  await onFed(["-n", NS, "create", "secret", "generic", "hidden", "--from-literal=k=v"]);
});
afterAll(async () => {
  await kafka?.close();
  await fed?.stop();
});

describe("view", () => {
  it("gets, lists and watches", async () => {
    expect((await asUser("viewer", ["-n", NS, "get", "configmap", "seen", "-o", "name"])).stdout.trim()).toBe(
      "configmap/seen",
    );
    expect((await asUser("viewer", ["get", "namespaces", "-o", "name"])).stdout).toContain(`namespace/${NS}`);
    // A watch prints the initial list, then waits: --request-timeout ends it.
    const w = await asUser("viewer", ["-n", NS, "get", "configmaps", "--watch", "--request-timeout=2s", "-o", "name"]);
    expect(w.stdout).toContain("configmap/seen");
  });

  it("every write is a 403 in kube-apiserver's words, and nothing is appended", async () => {
    const before = await endOffset();
    expect(await refused(asUser("viewer", ["-n", NS, "create", "configmap", "new", "--from-literal=a=1"]))).toContain(
      forbidden("viewer", "create", "configmaps", "", NS),
    );
    expect(await refused(asUser("viewer", ["-n", NS, "label", "configmap", "seen", "x=y"]))).toContain(
      forbidden("viewer", "patch", "configmaps", "", NS, "seen"),
    );
    expect(await refused(asUser("viewer", ["-n", NS, "delete", "configmap", "seen"]))).toContain(
      forbidden("viewer", "delete", "configmaps", "", NS, "seen"),
    );
    expect(await refused(asUser("viewer", ["delete", "namespace", OTHER]))).toContain(
      forbidden("viewer", "delete", "namespaces", "", OTHER, OTHER),
    );
    // kubectl delete --all deletes one by one; a collection delete is one request.
    const collection = await api(fed, "DELETE", `/api/v1/namespaces/${NS}/configmaps`, undefined, {
      token: fed.viewerToken,
    });
    expect(collection.body.message).toBe(forbidden("viewer", "deletecollection", "configmaps", "", NS));
    const raw = await api(
      fed,
      "POST",
      `/api/v1/namespaces/${NS}/configmaps`,
      JSON.stringify({ metadata: { name: "n" } }),
      {
        token: fed.viewerToken,
      },
    );
    expect(raw.status).toBe(403);
    expect(raw.body).toMatchObject({
      kind: "Status",
      status: "Failure",
      reason: "Forbidden",
      code: 403,
      message: `configmaps is forbidden: User "viewer" cannot create resource "configmaps" in API group "" in the namespace "${NS}"`,
      details: { kind: "configmaps", group: "" },
    });
    // A write after the refusals is the next event: the refusals appended none.
    await onFed(["-n", NS, "create", "configmap", "after-refusals"]);
    expect(BigInt(await endOffset())).toBe(BigInt(before) + 1n);
  });

  it("cannot see Secrets", async () => {
    expect(await refused(asUser("viewer", ["-n", NS, "get", "secrets"]))).toContain(
      forbidden("viewer", "list", "secrets", "", NS),
    );
    expect(await refused(asUser("viewer", ["-n", NS, "get", "secret", "hidden"]))).toContain(
      forbidden("viewer", "get", "secrets", "", NS, "hidden"),
    );
  });
});

describe("edit through a RoleBinding", () => {
  it("writes in its namespace and nowhere else", async () => {
    await asUser("erin", ["-n", NS, "create", "configmap", "erins", "--from-literal=a=1"]);
    await asUser("erin", ["-n", NS, "create", "deployment", "web", "--image=nginx"]);
    await asUser("erin", ["-n", NS, "scale", "deployment", "web", "--replicas=2"]);
    expect((await asUser("erin", ["-n", NS, "get", "secret", "hidden", "-o", "name"])).stdout.trim()).toBe(
      "secret/hidden",
    );
    expect(await refused(asUser("erin", ["-n", OTHER, "create", "configmap", "x"]))).toContain(
      forbidden("erin", "create", "configmaps", "", OTHER),
    );
    expect(
      await refused(asUser("erin", ["-n", NS, "create", "rolebinding", "x", "--clusterrole=view", "--user=erin"])),
    ).toContain(forbidden("erin", "create", "rolebindings", "rbac.authorization.k8s.io", NS));
  });
});

describe("Clusters and the federation's system namespace", () => {
  const cluster = (name: string) =>
    JSON.stringify({
      apiVersion: "federation/v1beta1",
      kind: "Cluster",
      metadata: { name },
      spec: { serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: "https://127.0.0.1:1" }] },
    });

  it("only cluster-admin creates or changes Clusters", async () => {
    const name = `${id}-c`;
    for (const u of ["erin", "carol", "dave"]) {
      const r = await kubectl(["--context", "federation", "--token", token(u), "create", "-f", "-"], {
        kubeconfig: fed.kubeconfig,
        input: cluster(name),
      }).then(
        () => "created",
        (e: { stderr: string }) => e.stderr,
      );
      expect(r).toContain(forbidden(u, "create", "clusters", "federation"));
    }
    await onFed(["create", "-f", "-"], cluster(name));
    expect(await refused(asUser("dave", ["label", "cluster", name, "x=y"]))).toContain(
      forbidden("dave", "patch", "clusters", "federation", undefined, name),
    );
    await onFed(["label", "cluster", name, "x=y"]);
  });

  it("only cluster-admin reads kubefed-system, even with edit everywhere", async () => {
    await onFed(["create", "namespace", "kubefed-system"]).catch(() => undefined);
    await onFed(["-n", "kubefed-system", "create", "secret", "generic", `${id}-creds`, "--from-literal=token=t"]);
    expect((await asUser("dave", ["-n", OTHER, "get", "secrets", "-o", "name"])).stdout).toBe("");
    expect(await refused(asUser("dave", ["-n", "kubefed-system", "get", "secrets"]))).toContain(
      forbidden("dave", "list", "secrets", "", "kubefed-system"),
    );
    expect(await refused(asUser("dave", ["delete", "namespace", "kubefed-system"]))).toContain(
      forbidden("dave", "delete", "namespaces", "", "kubefed-system", "kubefed-system"),
    );
    expect((await onFed(["-n", "kubefed-system", "get", "secret", `${id}-creds`, "-o", "name"])).stdout.trim()).toBe(
      `secret/${id}-creds`,
    );
  });
});

describe("escalation", () => {
  it("a namespace admin grants what it holds, and nothing more", async () => {
    await asUser("carol", ["-n", NS, "create", "rolebinding", "bob-view", "--clusterrole=view", "--user=bob"]);
    expect((await asUser("bob", ["-n", NS, "get", "configmap", "seen", "-o", "name"])).stdout.trim()).toBe(
      "configmap/seen",
    );
    await asUser("carol", ["-n", NS, "create", "role", "secret-reader", "--verb=get", "--resource=secrets"]);
    const before = await endOffset();
    const self = await refused(
      asUser("carol", ["-n", NS, "create", "rolebinding", "carol-root", "--clusterrole=cluster-admin", "--user=carol"]),
    );
    expect(self).toContain(
      `rolebindings.rbac.authorization.k8s.io "carol-root" is forbidden: user "carol" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:`,
    );
    const role = await refused(
      asUser("carol", [
        "-n",
        NS,
        "create",
        "role",
        "cluster-writer",
        "--verb=create",
        "--resource=clusters.federation",
      ]),
    );
    expect(role).toContain("is attempting to grant RBAC permissions not currently held:");
    expect(role).toContain('{APIGroups:["federation"], Resources:["clusters"], Verbs:["create"]}');
    // In a namespace where it is nobody, even the rights it holds elsewhere cannot be granted.
    expect(
      await refused(asUser("carol", ["-n", OTHER, "create", "rolebinding", "x", "--clusterrole=view", "--user=carol"])),
    ).toContain(forbidden("carol", "create", "rolebindings", "rbac.authorization.k8s.io", OTHER));
    await onFed(["-n", NS, "create", "configmap", "after-escalations"]);
    expect(BigInt(await endOffset())).toBe(BigInt(before) + 1n);
  });

  it("the bootstrap roles are there from the start and cannot be replaced", async () => {
    const names = (await onFed(["get", "clusterroles", "-o", "name"])).stdout;
    for (const r of ["cluster-admin", "admin", "edit", "view", "system:discovery", "system:basic-user"])
      expect(names).toContain(`clusterrole.rbac.authorization.k8s.io/${r}\n`);
    expect(await refused(onFed(["create", "clusterrole", "view", "--verb=*", "--resource=*"]))).toContain(
      'clusterroles.rbac.authorization.k8s.io "view" already exists',
    );
  });
});

describe("denials", () => {
  it("are counted on /metrics by verb and resource", async () => {
    const metrics = await api(fed, "GET", "/metrics");
    expect(metrics.text).toMatch(
      /kubefed_ingest_authorization_denied_total\{verb="create",resource="configmaps"\} [1-9]/,
    );
    expect(metrics.text).toMatch(/kubefed_ingest_authorization_denied_total\{verb="list",resource="secrets"\} [1-9]/);
    expect((await api(fed, "GET", "/metrics", undefined, { token: fed.viewerToken })).status).toBe(403);
  });
});

describe("kubectl auth can-i, --list and whoami answer as kube-apiserver does", () => {
  const ROLE_NS = `${id}-cani`;
  const reader = `${id}-ns-reader`;
  beforeAll(async () => {
    const objects = yaml([
      { apiVersion: "v1", kind: "Namespace", metadata: { name: ROLE_NS } },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        metadata: { name: "deployer", namespace: ROLE_NS },
        rules: [
          { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "create"] },
          { apiGroups: ["apps"], resources: ["deployments/scale"], verbs: ["update"] },
          { apiGroups: [""], resources: ["configmaps"], verbs: ["get"], resourceNames: ["cfg"] },
        ],
      },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: { name: reader },
        rules: [
          { apiGroups: [""], resources: ["namespaces"], verbs: ["get", "list", "watch"] },
          { nonResourceURLs: ["/metrics"], verbs: ["get"] },
        ],
      },
      binding("RoleBinding", "alice-deployer", ROLE_NS, ["Role", "deployer"], [user("alice")]),
      binding(
        "RoleBinding",
        "devs-gone",
        ROLE_NS,
        ["Role", "does-not-exist"],
        [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "devs" }],
      ),
      binding("ClusterRoleBinding", `${id}-alice-reader`, undefined, ["ClusterRole", reader], [user("alice")]),
    ]);
    await onFed(["create", "-f", "-"], objects);
    await onMember(["create", "-f", "-"], objects);
  });
  afterAll(async () => {
    await onMember(["delete", "namespace", ROLE_NS, "--wait=false"]).catch(() => undefined);
    await onMember(["delete", "clusterrole", reader]).catch(() => undefined);
    await onMember(["delete", "clusterrolebinding", `${id}-alice-reader`]).catch(() => undefined);
  });

  const answer = (on: typeof onFed, args: string[]) =>
    on(["auth", ...args]).then(
      (r) => r.stdout,
      (e: { stdout?: string; stderr?: string }) => `${e.stdout ?? ""}${e.stderr ?? ""}`,
    );

  it.each(
    [
      ["can-i", "create", "deployments", "-n", "NS", "--as", "alice"],
      ["can-i", "create", "deployments", "-n", "default", "--as", "alice"],
      ["can-i", "update", "deployments", "--subresource=scale", "-n", "NS", "--as", "alice"],
      ["can-i", "patch", "deployments", "--subresource=scale", "-n", "NS", "--as", "alice"],
      ["can-i", "get", "configmaps/cfg", "-n", "NS", "--as", "alice"],
      ["can-i", "get", "configmaps/other", "-n", "NS", "--as", "alice"],
      ["can-i", "list", "configmaps", "-n", "NS", "--as", "alice"],
      ["can-i", "watch", "namespaces", "--as", "alice"],
      ["can-i", "delete", "namespaces", "--as", "alice"],
      ["can-i", "get", "/metrics", "--as", "alice"],
      ["can-i", "get", "/healthz", "--as", "bob"],
      ["can-i", "create", "selfsubjectaccessreviews.authorization.k8s.io", "--as", "bob"],
      ["can-i", "get", "configmaps", "-n", "NS", "--as", "carol", "--as-group", "devs"],
      ["can-i", "--list", "-n", "NS", "--as", "alice"],
      ["can-i", "--list", "-n", "default", "--as", "alice"],
      ["can-i", "--list", "-n", "NS", "--as", "carol", "--as-group", "devs"],
      ["whoami", "--as", "alice"],
      ["whoami", "--as", "carol", "--as-group", "devs", "--as-group", "ops"],
      ["whoami", "--as", "system:serviceaccount:NS:robot"],
    ].map((args) => [args.join(" "), args] as const),
  )("kubectl auth %s", async (_, args) => {
    const a = args.map((x) => (x === "NS" ? ROLE_NS : x.replace(":NS:", `:${ROLE_NS}:`)));
    const member = await answer(onMember, a);
    expect(member).not.toContain("error:");
    expect(await answer(onFed, a)).toBe(member);
  });

  it("impersonation is only for those RBAC lets impersonate", async () => {
    // whoami hides a 403 behind its own words; any other request shows kube-apiserver's.
    expect(await refused(asUser("bob", ["-n", ROLE_NS, "get", "configmaps", "--as", "alice"]))).toContain(
      'Error from server (Forbidden): users "alice" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope',
    );
    await onFed(
      ["create", "-f", "-"],
      yaml([
        {
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "ClusterRole",
          metadata: { name: `${id}-impersonate-alice` },
          rules: [{ apiGroups: [""], resources: ["users"], verbs: ["impersonate"], resourceNames: ["alice"] }],
        },
        binding(
          "ClusterRoleBinding",
          `${id}-bob-impersonates`,
          undefined,
          ["ClusterRole", `${id}-impersonate-alice`],
          [user("bob")],
        ),
      ]),
    );
    expect(
      (await asUser("bob", ["auth", "whoami", "--as", "alice", "-o", "jsonpath={.status.userInfo.username}"])).stdout,
    ).toBe("alice");
    expect(
      (await asUser("bob", ["auth", "can-i", "create", "deployments", "-n", ROLE_NS, "--as", "alice"])).stdout.trim(),
    ).toBe("yes");
    expect(
      await refused(asUser("bob", ["get", "namespaces", "--as", "alice", "--as-group", "system:masters"])),
    ).toContain('groups "system:masters" is forbidden: User "bob" cannot impersonate resource "groups"');
    expect(await refused(asUser("bob", ["get", "namespaces", "--as", "carol"]))).toContain(
      'users "carol" is forbidden: User "bob" cannot impersonate resource "users"',
    );
  });
});
