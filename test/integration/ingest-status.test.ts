// The ingest folds `<fed>.status` into what the API serves: reports are appended here exactly as a propagator
// appends them (the @kubefed/kafka appender, encodeStatus), and read back with the stock kubectl and a watch.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubeConfig, Watch } from "@kubernetes/client-node";
import {
  encodeStatus,
  ObservedOutcome,
  StatusType,
  type ObjectObservedReport,
  type StatusReport,
} from "@kubefed/events";
import { KafkaClient, type Appender } from "@kubefed/kafka";
import { statusTopic } from "@kubefed/names";
import { env, kubectl, uniqueName } from "./helpers.ts";
import { api, startFederation, type Federation } from "./federation.ts";

let fed: Federation;
let kafka: KafkaClient;
let appender: Appender;
let deploymentRv: string;

const k = (args: string[], input?: string) =>
  kubectl(["--context", "federation", ...args], {
    kubeconfig: fed.kubeconfig,
    ...(input !== undefined ? { input } : {}),
  });
const json = async (args: string[]) => JSON.parse((await k([...args, "-o", "json"])).stdout) as Record<string, any>;
const report = async (...reports: StatusReport[]) => {
  await appender.append(
    statusTopic(fed.name),
    reports.map((r) => encodeStatus(r)),
  );
};
/** Polls until `check` stops throwing (the ingest folds the status topic asynchronously). */
async function eventually<T>(check: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

const now = () => new Date().toISOString();
const health = (cluster: string, ready: boolean, region: string | null, zones: string[]): StatusReport => ({
  type: StatusType.ClusterHealth,
  cluster,
  time: now(),
  worker: "test/1",
  ready,
  reason: ready ? "ClusterReady" : "ClusterNotReachable",
  message: ready ? "/readyz responded ok" : "connect ECONNREFUSED",
  region,
  zones,
});
const observed = (cluster: string, extra: Partial<ObjectObservedReport>): StatusReport => ({
  type: StatusType.ObjectObserved,
  cluster,
  time: now(),
  worker: "test/1",
  ref: { group: "apps", version: "v1", kind: "Deployment", namespace: "shop", name: "web" },
  generation: 1,
  resourceVersion: deploymentRv,
  outcome: ObservedOutcome.Applied,
  message: "unchanged",
  created: false,
  status: null,
  ...extra,
});

const cluster = (name: string) => `apiVersion: federation/v1beta1
kind: Cluster
metadata: {name: ${name}}
spec:
  serverAddressByClientCIDRs: [{clientCIDR: 0.0.0.0/0, serverAddress: "https://127.0.0.1:6443"}]
`;
const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
`;

beforeAll(async () => {
  fed = await startFederation(env(), uniqueName("status"));
  kafka = new KafkaClient({ brokers: [env().kafka.bootstrap], clientId: "ingest-status-test" });
  appender = await kafka.appender();
  await k(["create", "namespace", "shop"]);
  await k(["create", "-f", "-"], DEPLOYMENT);
  for (const name of ["member1", "member2"]) await k(["create", "-f", "-"], cluster(name));
  deploymentRv = (await json(["get", "deployment", "web", "-n", "shop"])).metadata.resourceVersion;
});
afterAll(async () => {
  await appender?.close();
  await kafka?.close();
  await fed?.stop();
});

describe("the status topic shows through the federation API", () => {
  it("get clusters: Ready, then Offline after a not-ready report, with region and zones", async () => {
    // A poison report (no schema header, garbage value) is logged and skipped; what follows is folded.
    await appender.append(statusTopic(fed.name), [{ key: "member1", value: Buffer.from("not avro") }]);
    await report(health("member1", true, "eu", ["eu-a", "eu-b"]), health("member2", true, "us", ["us-1"]));
    const rows = async () => (await k(["get", "clusters"])).stdout.trim().split("\n");
    await eventually(async () => {
      const out = await rows();
      expect(out[0]).toMatch(/^NAME\s+STATUS\s+REGION\s+ZONES\s+AGE$/);
      expect(out[1]).toMatch(/^member1\s+Ready\s+eu\s+eu-a,eu-b\s+\d+s$/);
      expect(out[2]).toMatch(/^member2\s+Ready\s+us\s+us-1\s+/);
    });
    await report(health("member2", false, "us", ["us-1"]));
    await eventually(async () => expect((await rows())[2]).toMatch(/^member2\s+Offline\s+us\s+us-1\s+/));
    const c = await json(["get", "cluster", "member2"]);
    expect(c.status.conditions.map((x: any) => [x.type, x.status, x.reason])).toEqual([
      ["Ready", "False", "ClusterNotReachable"],
      ["Offline", "True", "ClusterNotReachable"],
    ]);
    expect(c.status.conditions[0].lastTransitionTime).toBe(c.status.conditions[0].lastProbeTime);
  });

  it("get deployment: replica counters summed over the clusters, and a per-cluster breakdown", async () => {
    await report(
      observed("member1", {
        created: true,
        message: "created",
        status: { replicas: 2, readyReplicas: 2, availableReplicas: 2, updatedReplicas: 2, observedGeneration: 1 },
      }),
      observed("member2", {
        outcome: ObservedOutcome.Failed,
        message: 'admission webhook "quota.example.com" denied the request',
      }),
    );
    const d = await eventually(async () => {
      const d = await json(["get", "deployment", "web", "-n", "shop"]);
      expect(d.status?.clusters).toHaveLength(2);
      return d;
    });
    expect(d.metadata.resourceVersion).toBe(deploymentRv);
    expect(d.status).toMatchObject({ replicas: 2, readyReplicas: 2, availableReplicas: 2, updatedReplicas: 2 });
    // member2 failed: the federation has not observed generation 1 everywhere.
    expect(d.status.observedGeneration).toBeUndefined();
    expect(d.status.clusters).toEqual([
      {
        name: "member1",
        outcome: "Applied",
        message: "created",
        generation: 1,
        status: { replicas: 2, readyReplicas: 2, availableReplicas: 2, updatedReplicas: 2, observedGeneration: 1 },
      },
      {
        name: "member2",
        outcome: "Failed",
        message: 'admission webhook "quota.example.com" denied the request',
        generation: 1,
      },
    ]);
    expect((await k(["get", "deployment", "web", "-n", "shop"])).stdout).toMatch(/\nweb\s+2\/4\s+2\s+2\s+/);
  });

  it("describe deployment and get events show the Events derived from the reports", async () => {
    const desc = await eventually(async () => {
      const { stdout } = await k(["describe", "deployment", "web", "-n", "shop"]);
      expect(stdout).toContain("created in cluster member1");
      return stdout;
    });
    expect(desc).toMatch(/Normal\s+CreatedInCluster\s+\S+\s+federation-propagator\s+created in cluster member1/);
    expect(desc).toMatch(
      /Warning\s+FailedInCluster\s+\S+\s+federation-propagator\s+apply failed in cluster member2: admission webhook "quota.example.com" denied the request/,
    );
    const events = await json(["get", "events", "-n", "shop"]);
    const uid = (await json(["get", "deployment", "web", "-n", "shop"])).metadata.uid;
    expect(
      events.items.map((e: any) => [
        e.reason,
        e.involvedObject.kind,
        e.involvedObject.name,
        e.involvedObject.uid,
        e.count,
      ]),
    ).toEqual(
      expect.arrayContaining([
        ["CreatedInCluster", "Deployment", "web", uid, 1],
        ["FailedInCluster", "Deployment", "web", uid, 1],
      ]),
    );
    // A repeated failure aggregates into count.
    await report(
      observed("member2", {
        outcome: ObservedOutcome.Failed,
        message: 'admission webhook "quota.example.com" denied the request',
      }),
    );
    await eventually(async () => {
      const e = (await json(["get", "events", "-n", "shop", "--field-selector", "reason=FailedInCluster"])).items;
      expect(e.map((x: any) => x.count)).toEqual([2]);
    });
  });

  it("the object's own status survives; reports win for the fields they provide; writes still work", async () => {
    const res = await api(
      fed,
      "PATCH",
      "/apis/apps/v1/namespaces/shop/deployments/web/status",
      JSON.stringify({
        status: { readyReplicas: 9, conditions: [{ type: "Progressing", status: "True", reason: "Own" }] },
      }),
      { contentType: "application/merge-patch+json" },
    );
    expect(res.status).toBe(200);
    const d = await json(["get", "deployment", "web", "-n", "shop"]);
    expect(d.status.conditions).toEqual([{ type: "Progressing", status: "True", reason: "Own" }]);
    expect(d.status.readyReplicas).toBe(2);
    // The resourceVersion a read hands out is still the write precondition.
    await k(["label", "deployment", "web", "-n", "shop", "tier=frontend"]);
    deploymentRv = (await json(["get", "deployment", "web", "-n", "shop"])).metadata.resourceVersion;
  });

  it("a watch receives MODIFIED when a status report arrives", async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(fed.kubeconfig);
    kc.setCurrentContext("federation");
    const list = await api(fed, "GET", "/apis/apps/v1/namespaces/shop/deployments");
    const seen: { type: string; obj: any }[] = [];
    const controller = await new Watch(kc).watch(
      "/apis/apps/v1/namespaces/shop/deployments",
      { resourceVersion: list.body.metadata.resourceVersion },
      (type, obj) => seen.push({ type, obj }),
      () => undefined,
    );
    try {
      await new Promise((r) => setTimeout(r, 500));
      await report(
        observed("member2", {
          created: true,
          message: "created",
          generation: 1,
          status: { replicas: 2, readyReplicas: 1, availableReplicas: 1, updatedReplicas: 2, observedGeneration: 1 },
        }),
      );
      await eventually(async () =>
        expect(seen.some((e) => e.type === "MODIFIED" && e.obj.status?.readyReplicas === 3)).toBe(true),
      );
      const modified = seen.find((e) => e.obj.status?.readyReplicas === 3)!;
      expect(modified.obj.metadata.resourceVersion).toBe(deploymentRv);
      expect(modified.obj.status.clusters.map((c: any) => c.outcome)).toEqual(["Applied", "Applied"]);
      // generation is 1 still (a label is metadata), and both clusters applied it.
      expect(modified.obj.status.observedGeneration).toBe(1);
    } finally {
      controller.abort();
    }
  });

  it("an ingest restart rebuilds the same merged view from both topics", async () => {
    const view = async () => {
      const events = (await json(["get", "events", "-n", "shop"])).items.map((e: any) => {
        const { resourceVersion: _rv, ...metadata } = e.metadata;
        return { ...e, metadata };
      });
      return {
        deployment: await json(["get", "deployment", "web", "-n", "shop"]),
        clusters: (await json(["get", "clusters"])).items,
        events,
        table: (await k(["get", "clusters"])).stdout.replace(/\s+\d+[smh]\s*$/gm, ""),
      };
    };
    const before = await view();
    expect(before.events.length).toBeGreaterThanOrEqual(3);
    await fed.restart();
    expect(await view()).toEqual(before);
  });
});
