// Policy placement through Open Policy Agent, the original federation's walkthrough end to end with stock
// kubectl: the policy in ConfigMap scheduling-policy of kube-federation-scheduling-policy, a Cluster annotated
// pci-certified=true, a ReplicaSet nginx-pci whose annotations show the placement the policy chose and whose pods
// run only in the certified member; a changed policy places new writes differently. Then the failures: OPA
// down, OPA's document not of the expected shape, a policy that answers an invalid placement, each a Status
// with nothing appended, and fail-open.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KafkaClient } from "@kubefed/kafka";
import { objectsTopic } from "@kubefed/names";
import { startFederation, type Federation, type Propagator } from "@kubefed/localenv";
import { api } from "./federation.ts";
import { env, uniqueName } from "./helpers.ts";
import { eventually, fedctl, join, memberctl, propagator } from "./propagation-helpers.ts";
import { pciPolicy as policy } from "./pci-policy.ts";

const POLICY_NS = "kube-federation-scheduling-policy";
const PREFS = "federation.kubernetes.io/replica-set-preferences";
const dir = mkdtempSync(joinPath(tmpdir(), "kubefed-policy-"));
const members = () => env().members.map((m) => m.name);
let fed: Federation;
let worker: Propagator;
let kafka: KafkaClient;
const replicas: Federation[] = [];
const ns = uniqueName("pci");
const endOffset = async () => (await kafka.endOffsets(objectsTopic(fed.name)))[0]!.offset;

const configFile = (name: string, config: object) => {
  const f = joinPath(dir, name);
  writeFileSync(f, JSON.stringify(config));
  return f;
};
const admission = (file: string) => ["--admission-control=SchedulingPolicy", `--admission-control-config-file=${file}`];

const replicaSet = (name: string) => `apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: ${name}
  annotations:
    requires-pci: "true"
spec:
  replicas: 3
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: nginx
        image: nginx
`;

const k = (args: string[], input?: string) => fedctl(fed, args, input);

/** Replaces the policy ConfigMap with `rego`, as an operator would: generated from the file, then replaced. */
async function replacePolicy(rego: string): Promise<void> {
  writeFileSync(joinPath(dir, "policy.rego"), rego);
  const { stdout } = await k([
    "create",
    "configmap",
    "scheduling-policy",
    `--from-file=${joinPath(dir, "policy.rego")}`,
    "-n",
    POLICY_NS,
    "--dry-run=client",
    "-o",
    "yaml",
  ]);
  await k(["replace", "-f", "-"], stdout);
}

async function runningPods(member: string, app: string): Promise<number> {
  const { stdout } = await memberctl(member, ["-n", ns, "get", "pods", "-l", `app=${app}`, "-o", "json"]);
  return (
    JSON.parse(stdout).items as { metadata: { deletionTimestamp?: string }; status: { phase?: string } }[]
  ).filter((p) => !p.metadata.deletionTimestamp && p.status.phase === "Running").length;
}

beforeAll(async () => {
  const file = configFile("admission.json", { url: env().opa!.url, timeout: "2s" });
  fed = await startFederation(env(), uniqueName("pci"), { args: admission(file) });
  for (const name of members()) await join(fed, { name });
  worker = await propagator(fed);
  kafka = new KafkaClient({ brokers: [env().kafka.bootstrap], clientId: "scheduling-policy-test" });
  await k(["create", "namespace", ns]);
}, 240_000);

afterAll(async () => {
  await k(["delete", "namespace", ns, "--wait=false"]).catch(() => undefined);
  for (const r of replicas) await r.stop().catch(() => undefined);
  await kafka?.close();
  await worker?.stop();
  await fed?.stop();
});

describe("the SchedulingPolicy walkthrough with stock kubectl", () => {
  it("places a PCI ReplicaSet only in the certified cluster, and a changed policy places new writes anew", async () => {
    const [certified, other] = members() as [string, string];
    writeFileSync(joinPath(dir, "policy.rego"), policy("pci-certified", "true"));
    await k(["create", "namespace", POLICY_NS]);
    await k([
      "create",
      "configmap",
      "scheduling-policy",
      `--from-file=${joinPath(dir, "policy.rego")}`,
      "-n",
      POLICY_NS,
    ]);
    await k(["annotate", "clusters", certified, "pci-certified=true"]);
    await k(["-n", ns, "create", "-f", "-"], replicaSet("nginx-pci"));

    const { stdout } = await k(["-n", ns, "get", "rs", "nginx-pci", "-o", "jsonpath={.metadata.annotations}"]);
    const annotations = JSON.parse(stdout) as Record<string, string>;
    expect(JSON.parse(annotations[PREFS]!)).toEqual({ rebalance: true, clusters: { [certified]: { weight: 1 } } });

    await eventually(async () => expect(await runningPods(certified, "nginx-pci")).toBe(3), 120_000, 1000);
    const rs = JSON.parse((await k(["-n", ns, "get", "rs", "nginx-pci", "-o", "json"])).stdout);
    expect(rs.status.placement.clusters).toEqual([{ cluster: certified, replicas: 3 }]);
    for (const m of members().filter((x) => x !== certified))
      expect((await memberctl(m, ["-n", ns, "get", "rs", "-o", "name"])).stdout.trim()).toBe("");

    // The policy changes: new writes follow it, what was admitted before keeps the decision its event recorded.
    await replacePolicy(policy("pci-dss", "v4"));
    await k(["annotate", "clusters", other, "pci-dss=v4"]);
    await k(["-n", ns, "create", "-f", "-"], replicaSet("nginx-pci-2"));
    const second = JSON.parse(
      (await k(["-n", ns, "get", "rs", "nginx-pci-2", "-o", "jsonpath={.metadata.annotations}"])).stdout,
    ) as Record<string, string>;
    expect(JSON.parse(second[PREFS]!).clusters).toEqual({ [other]: { weight: 1 } });
    await eventually(async () => expect(await runningPods(other, "nginx-pci-2")).toBe(3), 120_000, 1000);
    const first = JSON.parse((await k(["-n", ns, "get", "rs", "nginx-pci", "-o", "json"])).stdout);
    expect(JSON.parse(first.metadata.annotations[PREFS]).clusters).toEqual({ [certified]: { weight: 1 } });
  }, 360_000);
});

describe("when OPA cannot decide", () => {
  const post = (f: Federation, name: string) =>
    api(
      f,
      "POST",
      `/apis/apps/v1/namespaces/${ns}/replicasets`,
      JSON.stringify({
        apiVersion: "apps/v1",
        kind: "ReplicaSet",
        metadata: { name, annotations: { "requires-pci": "true" } },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: name } },
          template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "c", image: "nginx" }] } },
        },
      }),
    );
  const replica = async (config: object) => {
    const r = await startFederation(env(), fed.name, {
      replicaOf: fed,
      args: admission(configFile(`${uniqueName("cfg")}.json`, config)),
    });
    replicas.push(r);
    return r;
  };

  it("OPA down: 503 ServiceUnavailable and nothing appended; fail-open admits the object unchanged", async () => {
    const down = await replica({ url: "http://127.0.0.1:9", timeout: "500ms" });
    const before = await endOffset();
    const res = await post(down, uniqueName("down"));
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ kind: "Status", code: 503, reason: "ServiceUnavailable" });
    expect(res.body.message).toContain("scheduling policy: the policy engine at http://127.0.0.1:9 did not answer");
    expect(await endOffset()).toBe(before);

    const open = await replica({ url: "http://127.0.0.1:9", timeout: "500ms", failOpen: true });
    const admitted = await post(open, uniqueName("open"));
    expect(admitted.status).toBe(201);
    expect(admitted.body.metadata.annotations[PREFS]).toBeUndefined();
  }, 120_000);

  it.each([
    [
      "a document of the wrong shape",
      'package kubernetes.placement\n\nannotations := "everywhere"\n',
      "annotations must map names to strings",
    ],
    [
      "an invalid placement",
      `package kubernetes.placement\n\nannotations["${PREFS}"] := "{not json"\n`,
      `metadata.annotations[${PREFS}]`,
    ],
    ["errors", 'package kubernetes.placement\n\nerrors contains "PCI clusters are full"\n', "PCI clusters are full"],
  ])("a policy answering %s: a Status and nothing appended", async (what, rego, message) => {
    await replacePolicy(rego);
    const before = await endOffset();
    const res = await post(fed, uniqueName("garbage"));
    const code = what === "errors" ? 403 : 500;
    expect(res.status, res.text).toBe(code);
    expect(res.body).toMatchObject({ kind: "Status", code, reason: code === 403 ? "Forbidden" : "InternalError" });
    expect(res.body.message).toContain(message);
    expect(await endOffset()).toBe(before);
  });
});
