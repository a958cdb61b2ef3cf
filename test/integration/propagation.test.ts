// Propagation against three real member kube-apiservers and a real Kafka: create once, converge everywhere
// selected; placement moves; drift is repaired; an unreachable member catches up; a killed worker loses nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KafkaClient } from "@kubefed/kafka";
import { OWNED_BY_LABEL, objectsTopic, propagatorGroup } from "@kubefed/names";
import type { Federation, Propagator } from "@kubefed/localenv";
import { env, memberApiserver, uniqueName } from "./helpers.ts";
import {
  eventually,
  expectMemberEquals,
  federationWithMembers,
  fedctl,
  memberctl,
  ownedIn,
  propagator,
  writeConfigMaps,
} from "./propagation-helpers.ts";

const MEMBERS = [
  { name: "member1", region: "eu", zone: "eu-a" },
  { name: "member2", region: "us", zone: "us-a" },
  { name: "member3", region: "eu", zone: "eu-b" },
];
const names = MEMBERS.map((m) => m.name);

let fed: Federation;
let worker: Propagator;
let kafka: KafkaClient;
/** The end of the objects log, and how far a member's consumer group has committed in it ("-" for nothing). */
const logEnd = async () => (await kafka.endOffsets(objectsTopic(fed.name)))[0]!.offset;
const cursor = async (member: string) =>
  (await kafka.committedOffsets(propagatorGroup(fed.name, member), objectsTopic(fed.name)))[0]?.offset ?? "-";
/** Waits until a member's consumer group has committed past the write that produced `resourceVersion` (its offset). */
const reconciledPast = (member: string, resourceVersion: string) =>
  eventually(async () => {
    const committed = await cursor(member);
    expect(committed === "-" ? -1n : BigInt(committed)).toBeGreaterThan(BigInt(resourceVersion));
  });
/** Creates a ConfigMap through the federation and returns its resourceVersion, the offset of its event. */
const createThroughFederation = async (namespace: string, name: string, literal: string): Promise<string> =>
  (
    await fedctl(fed, [
      "-n",
      namespace,
      "create",
      "configmap",
      name,
      `--from-literal=${literal}`,
      "-o",
      "jsonpath={.metadata.resourceVersion}",
    ])
  ).stdout;
const ns = uniqueName("prop");

function manifests(namespace: string, v: string): string {
  return `
apiVersion: v1
kind: Namespace
metadata: {name: ${namespace}, labels: {team: web}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: ${namespace}}
data: {version: "${v}"}
---
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: ${namespace}}
stringData: {password: "s3cret-${v}"}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: ${namespace}}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${namespace}}
spec:
  replicas: ${v === "1" ? 2 : 3}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "nginx:1.${v}"}]}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: cache, namespace: ${namespace}}
spec:
  replicas: 1
  selector: {matchLabels: {app: cache}}
  template:
    metadata: {labels: {app: cache}}
    spec: {containers: [{name: cache, image: "redis:7.${v}"}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: ${namespace}}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: "busybox:1.${v}"}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: ${namespace}}
spec:
  # Divided across the members (libs/placement): one completion in each of the three.
  completions: 3
  parallelism: 3
  template:
    spec:
      restartPolicy: Never
      containers: [{name: migrate, image: "busybox:1.${v}", command: ["true"]}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: ${namespace}}
spec:
  rules:
  - host: web.example.com
    http:
      paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: ${namespace}}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: ${v === "1" ? 5 : 7}
`;
}

beforeAll(async () => {
  expect(env().members.map((m) => m.name)).toEqual(expect.arrayContaining(names));
  fed = await federationWithMembers(uniqueName("pf"), MEMBERS);
  kafka = new KafkaClient({ brokers: [env().kafka.bootstrap], clientId: "propagation-test" });
  worker = await propagator(fed);
  await eventually(
    async () =>
      expect((await worker.clusters()).map((c) => [c.name, c.active, c.ready]).sort()).toEqual(
        names.map((n) => [n, true, true]),
      ),
    30_000,
  );
}, 180_000);

afterAll(async () => {
  await kafka?.close();
  await worker?.stop();
  await fed?.stop();
});

describe("propagation into three member clusters", () => {
  it("converges create, update and delete of every federated type in every member", async () => {
    await fedctl(fed, ["apply", "-f", "-"], manifests(ns, "1"));
    for (const m of names) await eventually(() => expectMemberEquals(fed, m, [ns]), 30_000);
    // The member's Secret has the plaintext the user wrote (the log has it encrypted).
    const { stdout } = await memberctl("member1", [
      "get",
      "secret",
      "creds",
      "-n",
      ns,
      "-o",
      "jsonpath={.data.password}",
    ]);
    expect(Buffer.from(stdout, "base64").toString()).toBe("s3cret-1");
    // The federation's system namespace (member credentials) is never propagated.
    for (const m of names)
      expect(
        [...(await ownedIn(m, fed.name, ["namespaces", "secrets"])).keys()].filter((k) => k.includes("kubefed-system")),
      ).toEqual([]);

    await fedctl(
      fed,
      ["apply", "-f", "-"],
      manifests(ns, "2").replace(/\n---\napiVersion: batch\/v1[\s\S]*?(?=\n---)/, ""),
    );
    for (const m of names) await eventually(() => expectMemberEquals(fed, m, [ns]), 30_000);
    const dep = JSON.parse(
      (await memberctl("member2", ["get", "deployment", "web", "-n", ns, "-o", "json", "--show-managed-fields"]))
        .stdout,
    );
    // Its 3 replicas are divided: member2 runs its share of the plan the federation shows.
    const planned = JSON.parse((await fedctl(fed, ["get", "deployment", "web", "-n", ns, "-o", "json"])).stdout).status
      .placement.clusters as { cluster: string; replicas: number }[];
    expect(planned.reduce((n, c) => n + c.replicas, 0)).toBe(3);
    expect(dep.spec.replicas).toBe(planned.find((c) => c.cluster === "member2")!.replicas);
    expect(dep.metadata.managedFields.some((f: any) => f.manager === "federation")).toBe(true);

    // A Job's template is immutable in the members: the propagator replaces the Job instead of looping.
    await fedctl(fed, ["delete", "job", "migrate", "-n", ns]);
    for (const m of names)
      await eventually(async () => expect((await ownedIn(m, fed.name, ["jobs.batch"])).size).toBe(0));
    await fedctl(fed, ["delete", "deployment,service,configmap", "--all", "-n", ns]);
    for (const m of names) await eventually(() => expectMemberEquals(fed, m, [ns]), 30_000);
  }, 180_000);

  it("removes from the members what the federation stops setting on objects it created", async () => {
    const cm = (labels: Record<string, string>, data: Record<string, string>) =>
      JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "trim", namespace: ns, labels }, data });
    await fedctl(
      fed,
      ["apply", "-f", "-"],
      JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } }),
    );
    await fedctl(fed, ["create", "-f", "-"], cm({ keep: "1", drop: "2" }, { x: "1", y: "2" }));
    const member = async (m: string) =>
      JSON.parse(
        (await memberctl(m, ["get", "configmap", "trim", "-n", ns, "-o", "json", "--show-managed-fields"])).stdout,
      );
    for (const m of names)
      await eventually(async () => expect((await member(m)).data).toEqual({ x: "1", y: "2" }), 30_000);
    await fedctl(fed, ["replace", "-f", "-"], cm({ keep: "1" }, { x: "1" }));
    for (const m of names) {
      await eventually(async () => {
        const o = await member(m);
        expect(o.data).toEqual({ x: "1" });
        expect(o.metadata.labels.keep).toBe("1");
        expect(o.metadata.labels.drop).toBeUndefined();
        // The federation owns its fields through server-side apply alone.
        expect(
          o.metadata.managedFields
            .filter((f: { manager: string }) => f.manager === "federation")
            .map((f: { operation: string }) => f.operation),
        ).toEqual(["Apply"]);
      }, 30_000);
    }
    await fedctl(fed, ["delete", "configmap", "trim", "-n", ns]);
  }, 120_000);

  it("replaces a Job whose template changed (immutable in the member)", async () => {
    const job = (image: string) => `apiVersion: batch/v1
kind: Job
metadata: {name: once, namespace: ${ns}}
spec:
  completions: 3
  parallelism: 3
  template:
    spec:
      restartPolicy: Never
      containers: [{name: once, image: "${image}"}]
`;
    await fedctl(fed, ["apply", "-f", "-"], job("busybox:1.36"));
    await eventually(async () =>
      expect(
        (await ownedIn("member1", fed.name, ["jobs.batch"])).get(`Job/${ns}/once`)?.spec.template.spec.containers[0]
          .image,
      ).toBe("busybox:1.36"),
    );
    const uid = (await ownedIn("member1", fed.name, ["jobs.batch"])).get(`Job/${ns}/once`).metadata.uid;
    // The federated Job itself is updated: the member refuses the new template (immutable there), so reconcile
    // deletes its Job and creates it again.
    await fedctl(fed, ["apply", "-f", "-"], job("busybox:1.37"));
    await eventually(async () => {
      const j = (await ownedIn("member1", fed.name, ["jobs.batch"])).get(`Job/${ns}/once`);
      expect(j?.spec.template.spec.containers[0].image).toBe("busybox:1.37");
      expect(j?.metadata.uid).not.toBe(uid);
    });
  }, 60_000);

  it("moves objects in and out of clusters with the selector annotation and the cluster labels", async () => {
    const cm = (selector: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: placed
  namespace: ${ns}
  annotations:
    federation.alpha.kubernetes.io/cluster-selector: '${selector}'
data: {a: b}
`;
    const where = async () => {
      const out: string[] = [];
      for (const m of names)
        if ((await ownedIn(m, fed.name, ["configmaps"])).has(`ConfigMap/${ns}/placed`)) out.push(m);
      return out;
    };
    await fedctl(
      fed,
      ["apply", "-f", "-"],
      cm('[{"key": "topology.kubernetes.io/region", "operator": "In", "values": ["eu"]}]'),
    );
    await eventually(async () => expect(await where()).toEqual(["member1", "member3"]));
    await fedctl(
      fed,
      ["apply", "-f", "-"],
      cm('[{"key": "topology.kubernetes.io/region", "operator": "NotIn", "values": ["eu"]}]'),
    );
    await eventually(async () => expect(await where()).toEqual(["member2"]));
    await fedctl(fed, ["apply", "-f", "-"], cm('[{"key": "tier", "operator": "Exists", "values": []}]'));
    await eventually(async () => expect(await where()).toEqual([]));
    // A cluster label change moves the object in.
    await fedctl(fed, ["label", "cluster", "member3", "tier=gold"]);
    await eventually(async () => expect(await where()).toEqual(["member3"]));
    await fedctl(fed, ["label", "cluster", "member3", "tier-"]);
    await eventually(async () => expect(await where()).toEqual([]));
  }, 90_000);

  it("repairs drift: an owned object deleted or edited in a member is restored", async () => {
    await fedctl(fed, ["-n", ns, "create", "configmap", "drift", "--from-literal=k=federation"]);
    await eventually(async () =>
      expect((await ownedIn("member2", fed.name, ["configmaps"])).get(`ConfigMap/${ns}/drift`)?.data).toEqual({
        k: "federation",
      }),
    );

    // How fast is for the benchmark (npm run bench:recovery); the periodic resync (10 min) is far beyond these waits.
    const uid = (await ownedIn("member2", fed.name, ["configmaps"])).get(`ConfigMap/${ns}/drift`).metadata.uid;
    await memberctl("member2", ["-n", ns, "delete", "configmap", "drift"]);
    await eventually(async () => {
      const restored = (await ownedIn("member2", fed.name, ["configmaps"])).get(`ConfigMap/${ns}/drift`);
      expect(restored?.metadata.uid).not.toBe(uid);
      expect(restored?.data).toEqual({ k: "federation" });
    });

    await memberctl("member2", [
      "-n",
      ns,
      "patch",
      "configmap",
      "drift",
      "--type=merge",
      "-p",
      '{"data":{"k":"by-hand"}}',
    ]);
    await eventually(async () =>
      expect((await ownedIn("member2", fed.name, ["configmaps"])).get(`ConfigMap/${ns}/drift`)?.data).toEqual({
        k: "federation",
      }),
    );

    // Objects the federation does not own are never touched: member2 has reconciled a later write in the same
    // namespace (its cursor passed it, the object is there) and the member's own object is as it was.
    await memberctl("member2", ["-n", ns, "create", "configmap", "local-only", "--from-literal=x=y"]);
    const marker = await createThroughFederation(ns, "after-local-only", "x=federation");
    await reconciledPast("member2", marker);
    expect((await ownedIn("member2", fed.name, ["configmaps"])).has(`ConfigMap/${ns}/after-local-only`)).toBe(true);
    const local = JSON.parse(
      (await memberctl("member2", ["-n", ns, "get", "configmap", "local-only", "-o", "json"])).stdout,
    );
    expect(local.metadata.labels?.[OWNED_BY_LABEL]).toBeUndefined();
    expect(local.data).toEqual({ x: "y" });

    // Not even when the federation wants an object of the same name there: the member's own copy stays as it is,
    // the other members get the federation's.
    await memberctl("member1", ["-n", ns, "create", "configmap", "same-name", "--from-literal=x=local"]);
    const wanted = await createThroughFederation(ns, "same-name", "x=federation");
    for (const m of ["member2", "member3"])
      await eventually(async () =>
        expect((await ownedIn(m, fed.name, ["configmaps"])).get(`ConfigMap/${ns}/same-name`)?.data).toEqual({
          x: "federation",
        }),
      );
    // member1's cursor passes the write only once its reconcile decided (here: reported the copy as not ours).
    await reconciledPast("member1", wanted);
    const foreign = JSON.parse(
      (await memberctl("member1", ["-n", ns, "get", "configmap", "same-name", "-o", "json"])).stdout,
    );
    expect(foreign.data).toEqual({ x: "local" });
    expect(foreign.metadata.labels?.[OWNED_BY_LABEL]).toBeUndefined();
  }, 120_000);

  it("keeps the others converging while a member's kube-apiserver is stopped, and catches it up exactly after its restart", async () => {
    const outage = uniqueName("outage");
    await fedctl(fed, ["create", "namespace", outage]);
    for (const m of names)
      await eventually(async () =>
        expect((await ownedIn(m, fed.name, ["namespaces"])).has(`Namespace//${outage}`)).toBe(true),
      );
    await memberApiserver("member3", "stop");
    try {
      await eventually(
        async () => expect((await worker.clusters()).find((c) => c.name === "member3")?.ready).toBe(false),
        20_000,
      );
      await eventually(
        async () => expect((await fedctl(fed, ["get", "clusters"])).stdout).toMatch(/member3\s+Offline/),
        20_000,
      );
      // 100 changes: creates, updates and deletes.
      await writeConfigMaps(fed, outage, 60, "a");
      await writeConfigMaps(fed, outage, 40, "b");
      for (let i = 50; i < 60; i++) await fedctl(fed, ["-n", outage, "delete", "configmap", `cm-${i}`]);
      for (const m of ["member1", "member2"])
        await eventually(() => expectMemberEquals(fed, m, [outage], ["namespaces", "configmaps"]), 60_000);
      // Each member's committed offset says how far it converged: the live ones reach the end of the log, the
      // stopped one stays before the changes it missed.
      for (const m of ["member1", "member2"])
        await eventually(async () => expect(await cursor(m)).toBe(await logEnd()), 10_000);
      expect(BigInt(await cursor("member3"))).toBeLessThan(BigInt(await logEnd()) - 100n);
    } finally {
      await memberApiserver("member3", "start");
    }
    await eventually(() => expectMemberEquals(fed, "member3", [outage], ["namespaces", "configmaps"]), 90_000, 500);
    await eventually(
      async () => expect((await fedctl(fed, ["get", "clusters"])).stdout).toMatch(/member3\s+Ready/),
      20_000,
    );
    await eventually(async () => expect(await cursor("member3")).toBe(await logEnd()), 10_000);
  }, 240_000);
});
