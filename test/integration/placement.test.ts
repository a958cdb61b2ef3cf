// Replica division in three kwok-backed members: weights become running pods per member, a member whose
// kube-apiserver stops loses its share to the others under rebalance and gets it back once it has been Ready
// for the damping period, Jobs and HPAs are divided, an override changes one member only, and bad placement
// input is refused with a Status and nothing appended.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KafkaClient } from "@kubefed/kafka";
import { objectsTopic } from "@kubefed/names";
import { startFederation, type Federation, type Propagator } from "@kubefed/localenv";
import { api } from "./federation.ts";
import { env, memberApiserver, uniqueName } from "./helpers.ts";
import { eventually, fedctl, join, memberctl, propagator } from "./propagation-helpers.ts";

let fed: Federation;
let worker: Propagator;
let kafka: KafkaClient;
const ns = uniqueName("pl");
const [A, B, C] = env().members.map((m) => m.name) as [string, string, string];
const endOffset = async () => (await kafka.endOffsets(objectsTopic(fed.name)))[0]!.offset;

beforeAll(async () => {
  fed = await startFederation(env(), uniqueName("pl"), { env: { INGEST_REBALANCE_READMIT_AFTER: "3s" } });
  for (const name of [A, B, C]) await join(fed, { name });
  worker = await propagator(fed);
  kafka = new KafkaClient({ brokers: [env().kafka.bootstrap], clientId: "placement-test" });
  await fedctl(fed, ["create", "namespace", ns]);
}, 240_000);

afterAll(async () => {
  await fedctl(fed, ["delete", "namespace", ns, "--wait=false"]).catch(() => undefined);
  await kafka?.close();
  await worker?.stop();
  await fed?.stop();
});

interface Pod {
  metadata: { deletionTimestamp?: string };
  spec: { containers: { image: string }[] };
  status: { phase?: string };
}

/** The member's pods of `app` that run and are not on their way out. */
async function running(member: string, app: string): Promise<Pod[]> {
  const { stdout } = await memberctl(member, ["-n", ns, "get", "pods", "-l", `app=${app}`, "-o", "json"]);
  return (JSON.parse(stdout) as { items: Pod[] }).items.filter(
    (p) => !p.metadata.deletionTimestamp && p.status.phase === "Running",
  );
}

const counts = async (app: string, members = [A, B, C]) =>
  Object.fromEntries(await Promise.all(members.map(async (m) => [m, (await running(m, app)).length] as const)));

const workload = (
  kind: "ReplicaSet" | "Deployment",
  name: string,
  replicas: number,
  annotations = {},
  image = "nginx:1.26",
) =>
  JSON.stringify({
    apiVersion: "apps/v1",
    kind,
    metadata: { name, namespace: ns, annotations },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "c", image }] } },
    },
  });

const post = (resource: string, body: string, group = "apis/apps/v1") =>
  api(fed, "POST", `/${group}/namespaces/${ns}/${resource}`, body);

const memberSpec = async (member: string, resource: string, name: string) =>
  JSON.parse((await memberctl(member, ["-n", ns, "get", resource, name, "-o", "json"])).stdout).spec;

describe("replica division", () => {
  it("9 replicas with weights 1:2:0 run as 3/6/0 pods, and the federated status shows the plan", async () => {
    const prefs = { rebalance: false, clusters: { [A]: { weight: 1 }, [B]: { weight: 2 }, [C]: { weight: 0 } } };
    const res = await post(
      "replicasets",
      workload("ReplicaSet", "weighted", 9, {
        "federation.kubernetes.io/replica-set-preferences": JSON.stringify(prefs),
      }),
    );
    expect(res.status, res.text).toBe(201);
    await eventually(async () => expect(await counts("weighted")).toEqual({ [A]: 3, [B]: 6, [C]: 0 }), 120_000, 1000);
    expect((await memberSpec(C, "replicasets", "weighted")).replicas).toBe(0);
    const rs = JSON.parse((await fedctl(fed, ["-n", ns, "get", "rs", "weighted", "-o", "json"])).stdout);
    expect(rs.status.placement.clusters).toEqual([
      { cluster: A, replicas: 3 },
      { cluster: B, replicas: 6 },
      { cluster: C, replicas: 0 },
    ]);
    await eventually(async () => {
      const s = JSON.parse((await fedctl(fed, ["-n", ns, "get", "rs", "weighted", "-o", "json"])).stdout).status;
      expect(s.readyReplicas).toBe(9);
    }, 60_000);
  }, 200_000);

  it("a member whose kube-apiserver stops loses its share to the others under rebalance, and regains it when back", async () => {
    const prefs = { rebalance: true, clusters: { "*": { weight: 1 } } };
    expect(
      (
        await post(
          "deployments",
          workload("Deployment", "moving", 6, {
            "federation.kubernetes.io/deployment-preferences": JSON.stringify(prefs),
          }),
        )
      ).status,
    ).toBe(201);
    await eventually(async () => expect(await counts("moving")).toEqual({ [A]: 2, [B]: 2, [C]: 2 }), 120_000, 1000);

    await memberApiserver(C, "stop");
    try {
      await eventually(
        async () => {
          const cluster = JSON.parse((await fedctl(fed, ["get", "clusters", C, "-o", "json"])).stdout);
          expect(cluster.status.conditions).toContainEqual(
            expect.objectContaining({ type: "Schedulable", status: "False" }),
          );
        },
        60_000,
        500,
      );
      await eventually(async () => expect(await counts("moving", [A, B])).toEqual({ [A]: 3, [B]: 3 }), 120_000, 1000);
      const d = JSON.parse((await fedctl(fed, ["-n", ns, "get", "deployment", "moving", "-o", "json"])).stdout);
      expect(d.status.placement.clusters).toContainEqual({ cluster: C, replicas: 0 });
    } finally {
      await memberApiserver(C, "start");
    }
    await eventually(async () => expect(await counts("moving")).toEqual({ [A]: 2, [B]: 2, [C]: 2 }), 180_000, 1000);
    const cluster = JSON.parse((await fedctl(fed, ["get", "clusters", C, "-o", "json"])).stdout);
    expect(cluster.status.conditions).toContainEqual(expect.objectContaining({ type: "Schedulable", status: "True" }));
  }, 420_000);

  it("divides a Job's completions and parallelism and an HPA's minimum and maximum", async () => {
    const job = {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "batch", namespace: ns },
      spec: {
        completions: 6,
        parallelism: 3,
        template: {
          metadata: { labels: { app: "batch" } },
          spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] },
        },
      },
    };
    expect((await post("jobs", JSON.stringify(job), "apis/batch/v1")).status).toBe(201);
    const hpa = {
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: { name: "scaler", namespace: ns },
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "moving" },
        minReplicas: 3,
        maxReplicas: 9,
      },
    };
    expect((await post("horizontalpodautoscalers", JSON.stringify(hpa), "apis/autoscaling/v2")).status).toBe(201);
    for (const m of [A, B, C]) {
      await eventually(async () => {
        expect(await memberSpec(m, "jobs", "batch")).toMatchObject({ completions: 2, parallelism: 1 });
        expect(await memberSpec(m, "hpa", "scaler")).toMatchObject({ minReplicas: 1, maxReplicas: 3 });
        // kwok completes the Job's pods: the member's Job controller counts them as they succeed.
        const job = JSON.parse((await memberctl(m, ["-n", ns, "get", "job", "batch", "-o", "json"])).stdout);
        expect(job.status.succeeded).toBe(2);
      }, 90_000);
    }
    await eventually(async () => {
      const fedJob = JSON.parse((await fedctl(fed, ["-n", ns, "get", "job", "batch", "-o", "json"])).stdout);
      expect(fedJob.status.succeeded).toBe(6);
      expect(fedJob.status.placement.clusters).toHaveLength(3);
    }, 60_000);
  }, 300_000);

  it("an override changes the image in one member only", async () => {
    const overrides = {
      [B]: [{ op: "replace", path: "/spec/template/spec/containers/0/image", value: "nginx:1.27" }],
    };
    const body = workload("Deployment", "custom", 3, {
      "federation.kubernetes.io/overrides": JSON.stringify(overrides),
    });
    expect((await post("deployments", body)).status).toBe(201);
    await eventually(
      async () => {
        const images = Object.fromEntries(
          await Promise.all(
            [A, B, C].map(async (m) => [m, (await running(m, "custom")).map((p) => p.spec.containers[0]!.image)]),
          ),
        );
        expect(images).toEqual({ [A]: ["nginx:1.26"], [B]: ["nginx:1.27"], [C]: ["nginx:1.26"] });
      },
      120_000,
      1000,
    );
    const member = JSON.parse((await memberctl(B, ["-n", ns, "get", "deployment", "custom", "-o", "json"])).stdout);
    expect(member.metadata.annotations?.["federation.kubernetes.io/overrides"]).toBeUndefined();
  }, 200_000);
});

describe("bad placement input is refused with a Status and appends nothing", () => {
  const prefs = (v: unknown) => ({
    "federation.kubernetes.io/replica-set-preferences": typeof v === "string" ? v : JSON.stringify(v),
  });
  const overrides = (v: unknown) => ({ "federation.kubernetes.io/overrides": JSON.stringify(v) });
  const CASES: [string, Record<string, string>, string][] = [
    ["malformed preferences", prefs("{rebalance"), "must be a JSON object"],
    ["weights all zero", prefs({ clusters: { "*": { weight: 0 } } }), "every weight is 0"],
    [
      "min > max",
      prefs({ clusters: { "*": { weight: 1, minReplicas: 5, maxReplicas: 2 } } }),
      "must not exceed maxReplicas",
    ],
    ["an override for an unknown cluster", overrides({ nowhere: [] }), "nowhere: no such cluster in the federation"],
    [
      "an override patch that does not apply",
      overrides({ [A]: [{ op: "replace", path: "/spec/template/spec/nothing/0", value: 1 }] }),
      "the patch does not apply",
    ],
  ];

  it.each(CASES)("%s: 422 Invalid", async (_what, annotations, message) => {
    const before = await endOffset();
    const res = await post("replicasets", workload("ReplicaSet", uniqueName("bad"), 3, annotations));
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ kind: "Status", status: "Failure", code: 422, reason: "Invalid" });
    expect(res.body.message).toContain(message);
    expect(await endOffset()).toBe(before);
  });

  it("an update that adds a bad override is refused too, and the object keeps its version", async () => {
    const created = await post("replicasets", workload("ReplicaSet", "kept", 0));
    expect(created.status).toBe(201);
    const before = await endOffset();
    const res = await api(
      fed,
      "PATCH",
      `/apis/apps/v1/namespaces/${ns}/replicasets/kept`,
      JSON.stringify({ metadata: { annotations: overrides({ nowhere: [] }) } }),
      { contentType: "application/merge-patch+json" },
    );
    expect(res.status).toBe(422);
    expect(await endOffset()).toBe(before);
  });
});
