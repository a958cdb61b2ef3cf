import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { ApiException, CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { freePort } from "@kubefed/localenv";
import {
  FEDERATION_SYSTEM_NAMESPACE,
  OWNED_BY_LABEL,
  REGION_LABEL,
  ZONE_LABEL,
  memberClusterRoleName,
  memberServiceAccountName,
} from "@kubefed/names";
import { env, kubeConfigFor, kubectl, uniqueName } from "./helpers.ts";
import { startFederation, type Federation } from "./federation.ts";

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, "../..");
// Member3 is shared with the other test files (run one after another): every name here is unique to this run,
// and the federation name makes the member's service account and role unique too.
const MEMBER = "member3";
const FED = uniqueName("join");
const SA = memberServiceAccountName(FED);
const ROLE = memberClusterRoleName(FED);
const NS = FEDERATION_SYSTEM_NAMESPACE;

let fed: Federation;
/** fed.kubeconfig plus a context at a closed port and one whose user has no rights in member3. */
let badKubeconfig: string;
const noRightsSa = uniqueName("norights");

async function kubefed(
  args: string[],
  kubeconfig = fed.kubeconfig,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const argv = [...args, "--kubeconfig", kubeconfig, "--federation-name", FED];
  try {
    const { stdout, stderr } = await run(join(ROOT, "cli/bin/kubefed"), argv, { cwd: ROOT, timeout: 90_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const onFed = async (args: string[]) =>
  (await kubectl(["--context", "federation", ...args], { kubeconfig: fed.kubeconfig })).stdout;
const onMember = async (args: string[]) => (await kubectl(["--context", MEMBER, ...args])).stdout;
const json = async <T = any>(p: Promise<string>): Promise<T> => JSON.parse(await p) as T;

/** Everything a join or unjoin could change, on both sides, to prove a refused command changed nothing. */
async function snapshot(): Promise<string> {
  const [clusters, fedNs, secrets, rbac, sas, ns] = await Promise.all([
    onFed(["get", "clusters", "-o", "name"]),
    onFed(["get", "namespaces", "-o", "name"]),
    onFed(["get", "secrets", "-n", NS, "-o", "name"]),
    onMember(["get", "clusterroles,clusterrolebindings", "-o", "name"]),
    onMember(["get", "serviceaccounts", "-A", "-o", "name"]),
    onMember(["get", "namespaces", "-o", "name"]),
  ]);
  return [clusters, fedNs, secrets, rbac, sas, ns].join("---\n");
}

/** A refused command: exit 1, one line on stderr (and nothing on stdout), and nothing changed anywhere. */
async function expectRefused(args: string[], message: string | RegExp, kubeconfig?: string): Promise<void> {
  const before = await snapshot();
  const r = await kubefed(args, kubeconfig);
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr.trimEnd().split("\n"), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(/^kubefed: /);
  expect(r.stderr).toMatch(message);
  expect(await snapshot()).toBe(before);
}

/**
 * Deleting a Namespace in a member finishes only because the local environment runs a kube-controller-manager
 * (namespace controller) for each member; without one it would stay Terminating for ever.
 */
async function expectNamespaceGone(name: string): Promise<void> {
  const core = kubeConfigFor(MEMBER).makeApiClient(CoreV1Api);
  const deadline = Date.now() + 60_000;
  for (;;) {
    let phase: string | undefined;
    try {
      phase = (await core.readNamespace({ name })).status?.phase;
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return;
      throw err;
    }
    if (Date.now() > deadline) throw new Error(`namespace ${name} in ${MEMBER} is still there (${phase}) after 60s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const memberInfo = () => env().members.find((m) => m.name === MEMBER)!;

beforeAll(async () => {
  fed = await startFederation(env(), FED);
  // A user with no RBAC rights in member3: the token of a ServiceAccount bound to nothing.
  await onMember(["create", "serviceaccount", noRightsSa, "-n", "default"]);
  const token = (await onMember(["create", "token", noRightsSa, "-n", "default"])).trim();
  const kc = parse(readFileSync(fed.kubeconfig, "utf8"));
  kc.clusters.push({
    name: "closed",
    cluster: { server: `https://127.0.0.1:${await freePort()}`, "certificate-authority": memberInfo().caFile },
  });
  kc.users.push({ name: "norights", user: { token } });
  kc.contexts.push(
    { name: "closed", context: { cluster: "closed", user: `admin@${MEMBER}` } },
    { name: "norights", context: { cluster: MEMBER, user: "norights" } },
  );
  badKubeconfig = join(env().runDir, "federations", FED, "bad-kubeconfig");
  writeFileSync(badKubeconfig, stringify(kc));
});

afterAll(async () => {
  await onMember(["delete", "serviceaccount", noRightsSa, "-n", "default", "--ignore-not-found"]).catch(
    () => undefined,
  );
  await fed?.stop();
});

const joinArgs = (name = MEMBER, context = MEMBER) => [
  "join",
  name,
  "--host-cluster-context=federation",
  `--cluster-context=${context}`,
];

describe("kubefed join refuses bad input, with one line, exit 1 and no change", () => {
  it.each<[string, string[], RegExp, boolean?]>([
    [
      "an unknown context",
      joinArgs(MEMBER, "nope"),
      /--cluster-context: context "nope" does not exist in the kubeconfig/,
    ],
    [
      "an unknown federation context",
      ["join", MEMBER, "--host-cluster-context=nope", `--cluster-context=${MEMBER}`],
      /--host-cluster-context: context "nope" does not exist/,
    ],
    [
      "an unreachable cluster",
      joinArgs(MEMBER, "closed"),
      /^kubefed: cannot reach cluster at https:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED/,
      true,
    ],
    ["an invalid name", joinArgs("Member_3"), /invalid cluster name "Member_3": a lowercase RFC 1123 label/],
    ["malformed --labels", [...joinArgs(), "--labels", "env=prod,tier"], /--labels: expected key=value, got "tier"/],
    [
      "a member user without rights",
      joinArgs(MEMBER, "norights"),
      /^kubefed: missing rights in the member: create namespaces, create serviceaccounts in kubefed-system, create serviceaccounts\/token in kubefed-system, and 4 more \(the user of context "norights" must be allowed to set up RBAC/,
      true,
    ],
    ["a member that is the federation", joinArgs(MEMBER, "federation"), /the member must be another cluster/],
  ])("%s", async (_what, args, message, bad) => {
    await expectRefused(args, message, bad ? badKubeconfig : undefined);
  });
});

describe("kubefed join and unjoin against a real member", () => {
  it("joins member3 with a service account limited to the federated types, a token and a Cluster", async () => {
    const r = await kubefed([
      ...joinArgs(),
      "--region",
      "europe-west1",
      "--zone",
      "europe-west1-b",
      "--labels",
      "env=prod,tier=gold",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trimEnd().split("\n").at(-1)).toBe(`cluster "${MEMBER}" joined`);

    const clusters = await json<{ items: any[] }>(onFed(["get", "clusters", "-o", "json"]));
    expect(clusters.items).toHaveLength(1);
    expect(clusters.items[0]).toMatchObject({
      apiVersion: "federation/v1beta1",
      kind: "Cluster",
      metadata: {
        name: MEMBER,
        labels: { [REGION_LABEL]: "europe-west1", [ZONE_LABEL]: "europe-west1-b", env: "prod", tier: "gold" },
      },
      spec: {
        serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: memberInfo().server }],
        secretRef: { name: `${MEMBER}-credentials` },
      },
    });
    const secret = await json(onFed(["get", "secret", `${MEMBER}-credentials`, "-n", NS, "-o", "json"]));
    expect(Buffer.from(secret.data["ca.crt"], "base64").toString()).toBe(readFileSync(memberInfo().caFile, "utf8"));
    const token = Buffer.from(secret.data.token, "base64").toString();
    expect(token).toMatch(/^ey/);

    const sa = await json(onMember(["get", "serviceaccount", SA, "-n", NS, "-o", "json"]));
    expect(sa.metadata.name).toBe(SA);
    const role = await json<{ rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] }>(
      onMember(["get", "clusterrole", ROLE, "-o", "json"]),
    );
    for (const rule of role.rules)
      for (const x of [...rule.apiGroups, ...rule.resources, ...rule.verbs]) expect(x).not.toBe("*");
    expect(role.rules).toContainEqual({
      apiGroups: ["apps"],
      resources: ["deployments", "replicasets", "daemonsets"],
      verbs: ["get", "list", "watch", "create", "update", "patch", "delete"],
    });
    const binding = await json(onMember(["get", "clusterrolebinding", ROLE, "-o", "json"]));
    expect(binding.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: ROLE });
    expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: SA, namespace: NS }]);

    // The federation's token: allowed on the federated types, refused on anything else.
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: MEMBER, server: memberInfo().server, caData: secret.data["ca.crt"] }],
      users: [{ name: "federation", token }],
      contexts: [{ name: MEMBER, cluster: MEMBER, user: "federation" }],
      currentContext: MEMBER,
    });
    const asFederation = kc.makeApiClient(CoreV1Api);
    await expect(asFederation.listConfigMapForAllNamespaces()).resolves.toHaveProperty("items");
    await expect(asFederation.listPodForAllNamespaces()).rejects.toMatchObject({ code: 403 });
    await expect(
      kc
        .makeApiClient(RbacAuthorizationV1Api)
        .createClusterRole({ body: { metadata: { name: uniqueName("escalate") }, rules: [] } }),
    ).rejects.toMatchObject({ code: 403 });
  });

  it("refuses to join the same name twice, and changes nothing", async () => {
    await expectRefused(
      joinArgs(),
      new RegExp(
        `^kubefed: cluster ${MEMBER} is already joined \\(kubefed join --update re-issues its credentials and address\\)$`,
        "m",
      ),
    );
  });

  it("refuses to guess the member for --cleanup when two contexts reach it", async () => {
    await expectRefused(
      ["unjoin", MEMBER, "--host-cluster-context=federation", "--cleanup"],
      new RegExp(`contexts "${MEMBER}", "norights" all reach cluster ${MEMBER}`),
      badKubeconfig,
    );
  });

  it("unjoin removes the Cluster and its Secret, and leaves the member alone", async () => {
    const r = await kubefed(["unjoin", MEMBER, "--host-cluster-context=federation"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`cluster "${MEMBER}" unjoined`);
    expect(await onFed(["get", "clusters", "-o", "name"])).toBe("");
    expect(await onFed(["get", "secrets", "-n", NS, "-o", "name"])).toBe("");
    expect(await onMember(["get", "serviceaccount", SA, "-n", NS, "-o", "name"])).toBe(`serviceaccount/${SA}\n`);
    await expectRefused(
      ["unjoin", MEMBER, "--host-cluster-context=federation"],
      new RegExp(`^kubefed: cluster ${MEMBER} is not joined$`, "m"),
    );
  });

  it("unjoin --cleanup deletes what the federation owns in the member, and nothing else", async () => {
    // A second join over the objects the first one left is fine: they are applied again.
    const again = await kubefed(joinArgs());
    expect(again.code, again.stderr).toBe(0);

    // What the propagator would have created, plus neighbours it must not touch.
    const owned = uniqueName("owned");
    const kept = uniqueName("kept");
    const label = (v: string) => ({ [OWNED_BY_LABEL]: v });
    const objects = [
      { apiVersion: "v1", kind: "Namespace", metadata: { name: owned, labels: label(FED) } },
      { apiVersion: "v1", kind: "Namespace", metadata: { name: kept } },
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "settings", namespace: owned, labels: label(FED) },
        data: { a: "1" },
      },
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: `${owned}-cm`, namespace: "default", labels: label(FED) },
      },
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: `${owned}-secret`, namespace: "default", labels: label(FED) },
        stringData: { p: "x" },
      },
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "web", namespace: owned, labels: label(FED) },
        spec: {
          selector: { matchLabels: { app: "web" } },
          template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "nginx" }] } },
        },
      },
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `${kept}-plain`, namespace: "default" } },
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: `${kept}-other-fed`, namespace: "default", labels: label("another-federation") },
      },
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "inside", namespace: kept } },
    ];
    await kubectl(["--context", MEMBER, "apply", "-f", "-"], {
      input: JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }),
    });

    const r = await kubefed(["unjoin", MEMBER, "--host-cluster-context=federation", "--cleanup"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      `deleted 2 configmaps, 1 secret, 1 deployment, 1 namespace labelled ${OWNED_BY_LABEL}=${FED} in the member`,
    );
    expect(r.stdout).toContain(
      `deleted clusterrolebinding ${ROLE}, clusterrole ${ROLE} and serviceaccount ${NS}/${SA} in the member`,
    );
    expect(r.stdout.trimEnd().split("\n").at(-1)).toBe(`cluster "${MEMBER}" unjoined`);
    expect(await onFed(["get", "clusters", "-o", "name"])).toBe("");

    const all =
      "configmaps,secrets,services,deployments,replicasets,daemonsets,jobs,ingresses,horizontalpodautoscalers";
    expect(await onMember(["get", all, "-A", "-l", `${OWNED_BY_LABEL}=${FED}`, "-o", "name"])).toBe("");
    expect(await onMember(["get", "clusterroles,clusterrolebindings", "-o", "name"])).not.toContain(ROLE);
    expect(await onMember(["get", "serviceaccounts", "-A", "-o", "name"])).not.toContain(SA);
    await expectNamespaceGone(owned);
    // The member's system namespace is shared by every federation joined to it (other test files join this member
    // too): it goes only with the last federation's ServiceAccount.
    const others = (await onMember(["get", "serviceaccounts", "-n", NS, "-o", "name"]))
      .split("\n")
      .filter((l) => l.startsWith("serviceaccount/kubefed-"));
    if (others.length === 0) await expectNamespaceGone(NS);

    const left = await onMember(["get", "configmaps", "-A", "-o", "name"]);
    for (const name of [`${kept}-plain`, `${kept}-other-fed`, "inside"]) expect(left).toContain(`configmap/${name}\n`);
    expect(await onMember(["get", "namespace", kept, "-o", "name"])).toBe(`namespace/${kept}\n`);

    // A cleanup that stopped half way is finished by naming the member: the Cluster is already gone.
    const rerun = await kubefed([
      "unjoin",
      MEMBER,
      "--host-cluster-context=federation",
      "--cleanup",
      `--cluster-context=${MEMBER}`,
    ]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toContain(`cluster ${MEMBER} is not in the federation any more; cleaning up the member only`);
    expect(rerun.stdout).toContain(`deleted nothing labelled ${OWNED_BY_LABEL}=${FED} in the member`);
    expect(rerun.stdout).not.toContain(`deleted clusterrole`);

    await onMember(["delete", "namespace", kept, "--wait=false"]);
    await onMember(["delete", "configmap", `${kept}-plain`, `${kept}-other-fed`, "-n", "default"]);
  });
});
