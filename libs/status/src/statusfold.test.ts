import { describe, expect, it } from "vitest";
import {
  ObservedOutcome,
  StatusType,
  type ClusterHealthReport,
  type ObjectObservedReport,
  type StatusReport,
} from "@kubefed/events";
import { foldStatus, initialStatusModel, type StatusDelta, type StatusLimits, type StatusModel } from "./statusfold.ts";
import { health } from "./testing.ts";

const web = { group: "apps", version: "v1", kind: "Deployment", namespace: "shop", name: "web" };
const WEB = "apps/Deployment/shop/web";

const observed = (
  cluster: string,
  outcome: ObservedOutcome,
  extra: Partial<ObjectObservedReport> = {},
): ObjectObservedReport => ({
  type: StatusType.ObjectObserved,
  cluster,
  time: "2026-03-01T10:00:00.250Z",
  worker: "w/1",
  ref: web,
  generation: 1,
  resourceVersion: "7",
  outcome,
  message: outcome === ObservedOutcome.Failed ? "quota exceeded" : "created",
  created: false,
  status: outcome === ObservedOutcome.Removed ? null : { replicas: 2, readyReplicas: 1 },
  ...extra,
});

/** given reports (offsets 0..n-1) → the model, and the delta of the last one. */
function given(reports: StatusReport[], limits?: StatusLimits) {
  const model: StatusModel = initialStatusModel(limits);
  let delta: StatusDelta = { upserted: [], evicted: [] };
  reports.forEach((r, i) => (delta = foldStatus(model, r, { offset: String(i) })));
  return { model, delta };
}

describe("cluster health", () => {
  it("keeps the latest report, with the probe time and the time ready last changed", () => {
    const { model, delta } = given([
      health("m1", true, "2026-03-01T10:00:00Z"),
      health("m1", true, "2026-03-01T10:05:00.700Z"),
      health("m1", false, "2026-03-01T10:09:00Z", { region: null, zones: [] }),
    ]);
    expect(delta.cluster).toBe("m1");
    expect(model.clusters.get("m1")).toEqual({
      ready: false,
      reason: "ClusterNotReachable",
      message: "connect ECONNREFUSED",
      region: null,
      zones: [],
      probeTime: "2026-03-01T10:09:00Z",
      transitionTime: "2026-03-01T10:09:00Z",
    });
    const steady = given([
      health("m1", true, "2026-03-01T10:00:00Z"),
      health("m1", true, "2026-03-01T10:05:00.700Z"),
    ]).model.clusters.get("m1")!;
    expect([steady.probeTime, steady.transitionTime]).toEqual(["2026-03-01T10:05:00Z", "2026-03-01T10:00:00Z"]);
  });

  it("ignores a redelivered offset", () => {
    const model = initialStatusModel();
    foldStatus(model, health("m1", true, "2026-03-01T10:00:00Z"), { offset: "5" });
    expect(foldStatus(model, health("m1", false, "2026-03-01T10:01:00Z"), { offset: "5" })).toEqual({
      upserted: [],
      evicted: [],
    });
    expect(model.clusters.get("m1")!.ready).toBe(true);
  });
});

describe("object observations", () => {
  it("keeps the latest outcome per cluster and forgets removed ones", () => {
    const { model } = given([
      observed("m1", ObservedOutcome.Applied),
      observed("m2", ObservedOutcome.Failed),
      observed("m1", ObservedOutcome.Applied, { generation: 2, resourceVersion: "9" }),
    ]);
    expect([...model.observed.get(WEB)!.values()].map((o) => [o.cluster, o.outcome, o.generation])).toEqual([
      ["m1", "Applied", 2],
      ["m2", "Failed", 1],
    ]);
    const removed = given([
      observed("m1", ObservedOutcome.Applied),
      observed("m1", ObservedOutcome.Removed, { resourceVersion: "", generation: 0 }),
    ]);
    expect(removed.model.observed.has(WEB)).toBe(false);
    expect(removed.delta.object).toBe(WEB);
  });
});

describe("derived events", () => {
  it("says created, failed and removed; an applied update says nothing", () => {
    const { model } = given([
      observed("m1", ObservedOutcome.Applied, { created: true }),
      observed("m1", ObservedOutcome.Applied, { message: "updated" }),
      observed("m2", ObservedOutcome.Failed),
      observed("m1", ObservedOutcome.Removed, { resourceVersion: "" }),
    ]);
    expect(model.events.get(WEB)!.map((e) => [e.name, e.type, e.reason, e.message, e.namespace])).toEqual([
      ["web.0000000000000000", "Normal", "CreatedInCluster", "created in cluster m1", "shop"],
      ["web.0000000000000002", "Warning", "FailedInCluster", "apply failed in cluster m2: quota exceeded", "shop"],
      ["web.0000000000000003", "Normal", "RemovedFromCluster", "removed from cluster m1", "shop"],
    ]);
  });

  it("aggregates identical events into count, first and last timestamps", () => {
    const { model, delta } = given([
      observed("m2", ObservedOutcome.Failed),
      observed("m2", ObservedOutcome.Failed, { time: "2026-03-01T10:03:00Z" }),
    ]);
    expect(model.events.get(WEB)).toHaveLength(1);
    expect(delta.upserted[0]).toMatchObject({
      name: "web.0000000000000000",
      count: 2,
      firstTimestamp: "2026-03-01T10:00:00Z",
      lastTimestamp: "2026-03-01T10:03:00Z",
    });
  });

  it("records a cluster-scoped object's events in namespace default", () => {
    const ns = { group: "", version: "v1", kind: "Namespace", namespace: null, name: "shop" };
    const { delta } = given([observed("m1", ObservedOutcome.Applied, { ref: ns, created: true })]);
    expect(delta.upserted[0]).toMatchObject({ namespace: "default", involved: ns });
  });

  it("keeps memory bounded: the newest events per object, the most recently changed objects", () => {
    const failures = Array.from({ length: 5 }, (_, i) =>
      observed("m1", ObservedOutcome.Failed, { message: `attempt ${i}` }),
    );
    const { model, delta } = given(failures, { eventsPerObject: 3, objectsWithEvents: 10 });
    expect(model.events.get(WEB)!.map((e) => e.message)).toEqual(
      ["attempt 2", "attempt 3", "attempt 4"].map((m) => `apply failed in cluster m1: ${m}`),
    );
    expect(delta.evicted.map((e) => e.message)).toEqual(["apply failed in cluster m1: attempt 1"]);
    const other = (name: string) => observed("m1", ObservedOutcome.Applied, { ref: { ...web, name }, created: true });
    const many = given([other("a"), other("b"), other("a"), other("c")], { eventsPerObject: 3, objectsWithEvents: 2 });
    expect([...many.model.events.keys()]).toEqual(["apps/Deployment/shop/a", "apps/Deployment/shop/c"]);
    expect(many.delta.evicted.map((e) => e.name)).toEqual(["b.0000000000000001"]);
  });

  it("is deterministic: the same reports give the same model", () => {
    const log = [
      observed("m1", ObservedOutcome.Applied, { created: true }),
      health("m1", true, "2026-03-01T10:00:00Z"),
      observed("m2", ObservedOutcome.Failed),
    ];
    expect(given(log).model).toEqual(given(log).model);
  });
});
