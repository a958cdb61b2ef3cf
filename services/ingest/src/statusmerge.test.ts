import { describe, expect, it } from "vitest";
import { ObservedOutcome, type KubeObject } from "@kubefed/events";
import type { ClusterHealth, Observation } from "@kubefed/status";
import { clusterStatus, eventObject, isCurrent, objectStatus } from "./statusmerge.ts";

const deployment = (generation = 2, status?: KubeObject): KubeObject => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "shop", uid: "u-1", resourceVersion: "12", generation },
  spec: { replicas: 4 },
  ...(status ? { status } : {}),
});

const obs = (cluster: string, extra: Partial<Observation> = {}): Observation => ({
  cluster,
  outcome: ObservedOutcome.Applied,
  message: "updated",
  generation: 2,
  resourceVersion: "12",
  status: {
    replicas: 2,
    readyReplicas: 2,
    availableReplicas: 1,
    observedGeneration: 5,
    conditions: [{ type: "Available", status: "True" }],
  },
  time: "2026-03-01T10:00:00Z",
  ...extra,
});

describe("cluster status", () => {
  const h: ClusterHealth = {
    ready: false,
    reason: "ClusterNotReachable",
    message: "timeout",
    region: "eu",
    zones: ["eu-a", "eu-b"],
    probeTime: "2026-03-01T10:09:00Z",
    transitionTime: "2026-03-01T10:08:00Z",
  };

  it("has Ready and Offline conditions, region and zones, and keeps other conditions", () => {
    const s = clusterStatus(
      {
        conditions: [
          { type: "Ready", status: "True" },
          { type: "Custom", status: "True" },
        ],
        note: "kept",
      },
      h,
    );
    expect(s).toEqual({
      note: "kept",
      conditions: [
        {
          type: "Ready",
          status: "False",
          lastProbeTime: "2026-03-01T10:09:00Z",
          lastTransitionTime: "2026-03-01T10:08:00Z",
          reason: "ClusterNotReachable",
          message: "timeout",
        },
        {
          type: "Offline",
          status: "True",
          lastProbeTime: "2026-03-01T10:09:00Z",
          lastTransitionTime: "2026-03-01T10:08:00Z",
          reason: "ClusterNotReachable",
          message: "timeout",
        },
        { type: "Custom", status: "True" },
      ],
      region: "eu",
      zones: ["eu-a", "eu-b"],
    });
    expect(clusterStatus({ region: "own" }, { ...h, region: null }).region).toBe("own");
  });
});

describe("federated object status", () => {
  it("sums replica counters, breaks down per cluster (sorted) and sets observedGeneration when all applied it", () => {
    const s = objectStatus(
      deployment(),
      [obs("m2"), obs("m1", { status: { replicas: 2, readyReplicas: 1, observedGeneration: 3 } })],
      10n,
    )!;
    expect(s).toMatchObject({ replicas: 4, readyReplicas: 3, availableReplicas: 1, observedGeneration: 2 });
    expect((s.clusters as { name: string }[]).map((c) => c.name)).toEqual(["m1", "m2"]);
    expect((s.clusters as unknown[])[1]).toEqual({
      name: "m2",
      outcome: "Applied",
      message: "updated",
      generation: 2,
      status: obs("m2").status,
    });
  });

  it("omits observedGeneration while a cluster lags or failed", () => {
    expect(
      objectStatus(deployment(2, { observedGeneration: 1 }), [obs("m1"), obs("m2", { generation: 1 })], 10n)!
        .observedGeneration,
    ).toBeUndefined();
    expect(
      objectStatus(deployment(), [obs("m1"), obs("m2", { outcome: ObservedOutcome.Failed, status: null })], 10n)!
        .observedGeneration,
    ).toBeUndefined();
    // Applied, but the member's deployment controller has not acted on it yet (no status, or no observedGeneration).
    expect(
      objectStatus(deployment(), [obs("m1"), obs("m2", { status: null })], 10n)!.observedGeneration,
    ).toBeUndefined();
    expect(
      objectStatus(deployment(), [obs("m1"), obs("m2", { status: { replicas: 2, readyReplicas: 2 } })], 10n)!
        .observedGeneration,
    ).toBeUndefined();
  });

  it("keeps the object's own status where reports provide nothing, reports win where they do", () => {
    const s = objectStatus(
      deployment(2, {
        readyReplicas: 9,
        unavailableReplicas: 3,
        conditions: [{ type: "Progressing", status: "True" }],
      }),
      [obs("m1")],
      10n,
    )!;
    expect(s.readyReplicas).toBe(2);
    // Members omit zero counters: an own counter no report mentions is not shown either.
    expect(s.unavailableReplicas).toBeUndefined();
    expect(s.conditions).toEqual([{ type: "Progressing", status: "True" }]);
  });

  it("ignores reports about an earlier object of the same name", () => {
    const own = { readyReplicas: 0 };
    expect(objectStatus(deployment(2, own), [obs("m1", { resourceVersion: "8" })], 10n)).toBe(own);
    expect(objectStatus(deployment(2), [obs("m1", { resourceVersion: "8" })], 10n)).toBeUndefined();
    expect([isCurrent("10", 10n), isCurrent("9", 10n), isCurrent("", 10n), isCurrent("12", undefined)]).toEqual([
      true,
      false,
      false,
      false,
    ]);
  });

  it("concatenates Service load-balancer ingress across clusters", () => {
    const svc: KubeObject = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "s", namespace: "shop", generation: 1 },
      spec: { type: "LoadBalancer" },
    };
    const lb = (ip: string) => ({ loadBalancer: { ingress: [{ ip }] } });
    const s = objectStatus(
      svc,
      [
        obs("m2", { generation: 1, status: lb("10.0.0.2") }),
        obs("m1", { generation: 1, status: lb("10.0.0.1") }),
        obs("m3", { generation: 1, status: { loadBalancer: {} } }),
      ],
      0n,
    )!;
    expect(s.loadBalancer).toEqual({ ingress: [{ ip: "10.0.0.1" }, { ip: "10.0.0.2" }] });
    expect(s.replicas).toBeUndefined();
  });

  it("sums a Service's ready endpoints over the clusters that count them, per cluster in clusters[].status", () => {
    const svc = (status?: KubeObject): KubeObject => ({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "s", namespace: "shop", generation: 1 },
      spec: { selector: { app: "s" } },
      ...(status ? { status } : {}),
    });
    const counted = (cluster: string, n: number) =>
      obs(cluster, { generation: 1, status: { loadBalancer: {}, readyEndpoints: n } });
    const s = objectStatus(
      svc({ readyEndpoints: 40 }),
      [counted("m2", 1), counted("m1", 2), obs("m3", { generation: 1, outcome: ObservedOutcome.Failed, status: null })],
      0n,
    )!;
    expect(s.readyEndpoints).toBe(3);
    expect(
      (s.clusters as { name: string; status?: { readyEndpoints?: number } }[]).map((c) => [
        c.name,
        c.status?.readyEndpoints,
      ]),
    ).toEqual([
      ["m1", 2],
      ["m2", 1],
      ["m3", undefined],
    ]);
    // A cluster with no ready endpoints counts 0; no cluster counting: no aggregate (the own value never shows).
    expect(objectStatus(svc(), [counted("m1", 0)], 0n)!.readyEndpoints).toBe(0);
    expect(
      objectStatus(svc({ readyEndpoints: 40 }), [obs("m1", { generation: 1, status: { loadBalancer: {} } })], 0n)!
        .readyEndpoints,
    ).toBeUndefined();
  });
});

describe("derived Event objects", () => {
  it("are core/v1 Events about the federated object", () => {
    const e = eventObject(
      {
        name: "web.00000000000000ff",
        namespace: "shop",
        involved: { group: "apps", version: "v1", kind: "Deployment", namespace: "shop", name: "web" },
        objectResourceVersion: "12",
        type: "Warning",
        reason: "FailedInCluster",
        message: "apply failed in cluster m2: quota",
        count: 3,
        firstTimestamp: "2026-03-01T10:00:00Z",
        lastTimestamp: "2026-03-01T10:05:00Z",
      },
      "u-1",
      "40",
    );
    expect(e).toMatchObject({
      apiVersion: "v1",
      kind: "Event",
      metadata: {
        name: "web.00000000000000ff",
        namespace: "shop",
        resourceVersion: "40",
        creationTimestamp: "2026-03-01T10:00:00Z",
      },
      involvedObject: { kind: "Deployment", apiVersion: "apps/v1", namespace: "shop", name: "web", uid: "u-1" },
      source: { component: "federation-propagator" },
      type: "Warning",
      count: 3,
    });
  });
});
