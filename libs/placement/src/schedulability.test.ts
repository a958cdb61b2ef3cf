import { describe, expect, it } from "vitest";
import { clusterFacts, nextScheduling, readmitDelayMs, withScheduling, type DampingRule } from "./schedulability.ts";

const rule: DampingRule = { readmitAfterMs: 10_000, maxReadmitAfterMs: 60_000, windowMs: 600_000 };
const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();

describe("nextScheduling (the damping rule)", () => {
  it("a cluster that is not Ready is unschedulable at once", () => {
    const r = nextScheduling(undefined, { ready: false, transitionTime: t(0) }, t(1), "7", rule);
    expect(r).toEqual({ schedulable: false, since: t(1), offlines: [t(1)], basedOn: "7" });
    expect(nextScheduling(r, { ready: false, transitionTime: t(0) }, t(2), "8", rule)).toBeUndefined();
  });

  it("readmitted once Ready for readmitAfter, not before", () => {
    const down = nextScheduling(undefined, { ready: false, transitionTime: t(0) }, t(0), "1", rule)!;
    const up = { ready: true, transitionTime: t(20) };
    expect(nextScheduling(down, up, t(29), "2", rule)).toBeUndefined();
    expect(nextScheduling(down, up, t(30), "2", rule)).toMatchObject({ schedulable: true, offlines: [t(0)] });
  });

  it("a flapping cluster waits twice as long for every recent outage, at most the maximum", () => {
    const r = { schedulable: false, since: t(100), offlines: [t(0), t(40), t(100)], basedOn: "9" };
    expect(readmitDelayMs(r, Date.parse(t(101)), rule)).toBe(40_000);
    expect(nextScheduling(r, { ready: true, transitionTime: t(110) }, t(149), "10", rule)).toBeUndefined();
    expect(nextScheduling(r, { ready: true, transitionTime: t(110) }, t(150), "10", rule)?.schedulable).toBe(true);
    const many = { ...r, offlines: [t(0), t(1), t(2), t(3), t(4), t(5)] };
    expect(readmitDelayMs(many, Date.parse(t(6)), rule)).toBe(60_000);
  });

  it("outages older than the window no longer count", () => {
    const r = { schedulable: false, since: t(700), offlines: [t(0), t(700)], basedOn: "3" };
    expect(readmitDelayMs(r, Date.parse(t(701)), rule)).toBe(10_000);
  });

  it("no health known: no decision; Ready and schedulable: nothing to change", () => {
    expect(nextScheduling(undefined, undefined, t(0), "0", rule)).toBeUndefined();
    expect(nextScheduling(undefined, { ready: true, transitionTime: t(0) }, t(99), "0", rule)).toBeUndefined();
  });

  it("the record round-trips through the Cluster's status, with a Schedulable condition", () => {
    const cluster = { apiVersion: "core.federation.k8s.io/v1", kind: "Cluster", metadata: { name: "a" } };
    const status = withScheduling(cluster, { schedulable: false, since: t(5), offlines: [t(5)], basedOn: "4" });
    expect(status.conditions).toEqual([expect.objectContaining({ type: "Schedulable", status: "False" })]);
    expect(clusterFacts({ ...cluster, status })).toEqual({ name: "a", labels: {}, schedulable: false });
    expect(clusterFacts(cluster).schedulable).toBe(true);
  });
});
