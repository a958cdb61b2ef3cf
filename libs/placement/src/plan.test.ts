import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEPLOYMENT_PREFERENCES_ANNOTATION, REPLICA_SET_PREFERENCES_ANNOTATION } from "@kubefed/names";
import { planOf, planStatus, withPlan } from "./plan.ts";
import { preferencesProblems } from "./preferences.ts";
import type { ClusterFacts } from "./schedulability.ts";

const cluster = (name: string, schedulable = true, labels: Record<string, string> = {}): ClusterFacts => ({
  name,
  labels,
  schedulable,
});
const rs = (replicas: number, prefs?: unknown, extra: Record<string, string> = {}) => ({
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: {
    name: "web",
    namespace: "ns",
    annotations: { ...(prefs ? { [REPLICA_SET_PREFERENCES_ANNOTATION]: JSON.stringify(prefs) } : {}), ...extra },
  },
  spec: { replicas },
});
const KEY = "apps/ReplicaSet/ns/web";
const abc = [cluster("a"), cluster("b"), cluster("c")];
const replicasOf = (p: ReturnType<typeof planOf>) =>
  Object.fromEntries(Object.entries(p!.clusters).map(([k, v]) => [k, v.replicas]));

describe("planOf: ReplicaSets and Deployments", () => {
  it("9 replicas with weights 1:2:0 are 3/6/0", () => {
    const p = planOf(rs(9, { clusters: { a: { weight: 1 }, b: { weight: 2 }, c: { weight: 0 } } }), KEY, abc);
    expect(replicasOf(p)).toEqual({ a: 3, b: 6, c: 0 });
  });

  it("no annotation: an even split over the schedulable clusters", () => {
    expect(replicasOf(planOf(rs(9), KEY, abc))).toEqual({ a: 3, b: 3, c: 3 });
    expect(replicasOf(planOf(rs(9), KEY, [cluster("a"), cluster("b"), cluster("c", false)]))).toEqual({
      a: 5,
      b: 4,
      c: 0,
    });
  });

  it("a cluster with no entry and no * gets nothing", () => {
    const p = planOf(rs(4, { clusters: { a: { weight: 1 } } }), KEY, abc);
    expect(Object.keys(p!.clusters)).toEqual(["a"]);
    expect(p!.clusters.a).toEqual({ replicas: 4 });
  });

  it("the cluster selector applies first", () => {
    const selector = JSON.stringify([{ key: "pci", operator: "In", values: ["true"] }]);
    const o = rs(6, undefined, { "federation.alpha.kubernetes.io/cluster-selector": selector });
    const p = planOf(o, KEY, [cluster("a", true, { pci: "true" }), cluster("b")]);
    expect(replicasOf(p)).toEqual({ a: 6 });
  });

  it("rebalance: an unschedulable cluster keeps the object at 0 and its share moves; back, it gets it again", () => {
    const prefs = { rebalance: true, clusters: { "*": { weight: 1 } } };
    const down = planOf(rs(9, prefs), KEY, [cluster("a"), cluster("b", false), cluster("c")]);
    expect(down!.clusters.b).toEqual({ replicas: 0 });
    expect((down!.clusters.a!.replicas ?? 0) + (down!.clusters.c!.replicas ?? 0)).toBe(9);
    expect(replicasOf(planOf(rs(9, prefs), KEY, abc))).toEqual({ a: 3, b: 3, c: 3 });
  });

  it("without rebalance an unschedulable cluster keeps its share", () => {
    const prefs = { rebalance: false, clusters: { "*": { weight: 1 } } };
    expect(replicasOf(planOf(rs(9, prefs), KEY, [cluster("a"), cluster("b", false), cluster("c")]))).toEqual({
      a: 3,
      b: 3,
      c: 3,
    });
  });

  it("Deployments read their own annotation", () => {
    const d = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: {
        name: "d",
        annotations: { [DEPLOYMENT_PREFERENCES_ANNOTATION]: JSON.stringify({ clusters: { b: { weight: 1 } } }) },
      },
      spec: { replicas: 2 },
    };
    expect(planOf(d, "apps/Deployment/ns/d", abc)!.clusters).toEqual({ b: { replicas: 2 } });
  });

  it("a malformed annotation places nowhere; other kinds are not divided", () => {
    const o = rs(3);
    (o.metadata.annotations as Record<string, string>)[REPLICA_SET_PREFERENCES_ANNOTATION] = "{";
    expect(planOf(o, KEY, abc)!.clusters).toEqual({});
    expect(planOf({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } }, "/ConfigMap/ns/x", abc)).toBe(
      undefined,
    );
  });

  it("status and member copy", () => {
    const p = planOf(rs(9, { clusters: { a: { weight: 1 }, b: { weight: 2 } } }), KEY, abc)!;
    expect(planStatus(p)).toEqual({
      clusters: [
        { cluster: "a", replicas: 3 },
        { cluster: "b", replicas: 6 },
      ],
    });
    expect(withPlan(rs(9), p.clusters.b!).spec).toEqual({ replicas: 6 });
  });
});

describe("planOf: Jobs and HorizontalPodAutoscalers", () => {
  const job = (spec: Record<string, number>) => ({
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: "j", namespace: "ns" },
    spec,
  });
  const hpa = (minReplicas: number | undefined, maxReplicas: number) => ({
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: { name: "h", namespace: "ns" },
    spec: { ...(minReplicas !== undefined ? { minReplicas } : {}), maxReplicas },
  });

  it("a Job's completions and parallelism are divided", () => {
    const p = planOf(job({ completions: 6, parallelism: 3 }), "batch/Job/ns/j", abc)!;
    expect(p.clusters).toEqual({
      a: { completions: 2, parallelism: 1 },
      b: { completions: 2, parallelism: 1 },
      c: { completions: 2, parallelism: 1 },
    });
  });

  it("clusters given no completions do not get the Job; each gets parallelism at least 1, at most its completions", () => {
    const p = planOf(job({ completions: 2, parallelism: 6 }), "batch/Job/ns/j", abc)!;
    expect(Object.keys(p.clusters)).toHaveLength(2);
    for (const c of Object.values(p.clusters)) expect(c).toEqual({ completions: 1, parallelism: 1 });
  });

  it("an HPA's minReplicas and maxReplicas are divided, each placed cluster at least 1", () => {
    const p = planOf(hpa(2, 10), "autoscaling/HorizontalPodAutoscaler/ns/h", abc)!;
    const maxes = Object.values(p.clusters).map((c) => c.maxReplicas!);
    expect(maxes.reduce((a, b) => a + b)).toBe(10);
    for (const c of Object.values(p.clusters)) expect(c.minReplicas).toBeGreaterThanOrEqual(1);
    expect(planOf(hpa(undefined, 2), "autoscaling/HorizontalPodAutoscaler/ns/h", abc)!.clusters).toSatisfy(
      (c: object) => Object.keys(c).length === 2,
    );
  });

  it("unschedulable clusters get no Job or HPA", () => {
    const p = planOf(hpa(3, 9), "autoscaling/HorizontalPodAutoscaler/ns/h", [cluster("a"), cluster("b", false)])!;
    expect(p.clusters).toEqual({ a: { minReplicas: 3, maxReplicas: 9 } });
  });
});

describe("planOf (properties)", () => {
  const facts = fc.uniqueArray(
    fc.record({ name: fc.stringMatching(/^[a-z]{1,5}$/), schedulable: fc.boolean(), weight: fc.nat(5) }),
    { selector: (c) => c.name, maxLength: 8 },
  );

  it("same plan whatever the order of the clusters; unschedulable clusters get 0 under rebalance", () => {
    fc.assert(
      fc.property(facts, fc.nat(100), fc.boolean(), (cs, replicas, rebalance) => {
        const clusters = Object.fromEntries(cs.map((c) => [c.name, { weight: c.weight }]));
        fc.pre(cs.some((c) => c.weight > 0));
        const o = rs(replicas, { rebalance, clusters });
        const list = cs.map((c) => cluster(c.name, c.schedulable));
        const p = planOf(o, KEY, list)!;
        expect(planOf(o, KEY, [...list].reverse())).toEqual(p);
        if (rebalance) for (const c of cs) if (!c.schedulable) expect(p.clusters[c.name]).toEqual({ replicas: 0 });
        const placed = Object.values(p.clusters).reduce((a, c) => a + c.replicas!, 0);
        expect(placed + p.unplaced).toBe(replicas);
      }),
    );
  });
});

describe("preferencesProblems", () => {
  it.each([
    ["{", "must be a JSON object"],
    ['{"clusters": []}', "clusters: must be an object"],
    ['{"clusters": {"a": {"weight": 0}, "b": {"weight": 0}}}', "every weight is 0"],
    ['{"clusters": {"a": {"weight": 1, "minReplicas": 3, "maxReplicas": 2}}}', "must not exceed maxReplicas"],
    ['{"clusters": {"a": {"weight": -1}}}', "non-negative integer"],
    ['{"rebalance": "yes", "clusters": {}}', "rebalance: must be true or false"],
    ['{"clusters": {"a": {"wieght": 1}}}', "unknown field"],
  ])("%s", (value, problem) => {
    expect(preferencesProblems(value).join("; ")).toContain(problem);
  });

  it("accepts the documented shape", () => {
    expect(
      preferencesProblems(
        '{"rebalance": true, "clusters": {"*": {"weight": 1}, "a": {"weight": 2, "minReplicas": 1, "maxReplicas": 5}}}',
      ),
    ).toEqual([]);
  });
});
