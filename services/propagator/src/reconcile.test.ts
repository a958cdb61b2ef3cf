import { describe, expect, it } from "vitest";
import type { JsonObject, KubeObject } from "@kubefed/events";
import { REPLICA_SET_PREFERENCES_ANNOTATION } from "@kubefed/names";
import { OVERRIDES_ANNOTATION } from "@kubefed/placement";
import { desiredIn, observedStatus, type PlacementContext } from "./reconcile.ts";

describe("the member status reconcile reports", () => {
  const deployment = (generation: number, status?: JsonObject): KubeObject => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", generation },
    ...(status ? { status } : {}),
  });

  it("is the member's status, none when it is empty", () => {
    expect(observedStatus(deployment(2, { observedGeneration: 2, readyReplicas: 3 }))).toEqual({
      observedGeneration: 2,
      readyReplicas: 3,
    });
    expect(observedStatus(deployment(1, {}))).toBeNull();
    expect(observedStatus(undefined)).toBeNull();
  });

  it("leaves out an observedGeneration behind the member object's generation: its counters are the old spec's", () => {
    expect(observedStatus(deployment(3, { observedGeneration: 2, readyReplicas: 3 }))).toEqual({ readyReplicas: 3 });
  });
});

describe("the desired object of a divided workload", () => {
  const KEY = "apps/ReplicaSet/ns/web";
  const rs: KubeObject = {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: {
      name: "web",
      namespace: "ns",
      resourceVersion: "5",
      annotations: {
        [REPLICA_SET_PREFERENCES_ANNOTATION]: JSON.stringify({
          rebalance: true,
          clusters: { a: { weight: 1 }, b: { weight: 2 }, c: { weight: 0 } },
        }),
        [OVERRIDES_ANNOTATION]: JSON.stringify({
          a: [{ op: "replace", path: "/spec/template/spec/containers/0/image", value: "nginx:1.27" }],
        }),
      },
    },
    spec: { replicas: 9, template: { spec: { containers: [{ name: "c", image: "nginx:1.26" }] } } },
  };
  const facts = (bDown = false) => [
    { name: "a", labels: {}, schedulable: true },
    { name: "b", labels: {}, schedulable: !bDown },
    { name: "c", labels: {}, schedulable: true },
  ];
  const ctx = (cluster: string, bDown = false, version = "1"): PlacementContext => ({
    federation: "fed",
    cluster,
    clusterLabels: {},
    desired: (k) => (k === KEY ? rs : undefined),
    inNamespace: () => [],
    clusters: () => ({ version, facts: bDown ? facts(true) : facts() }),
  });
  const spec = (o: KubeObject | undefined) => o?.spec as { replicas: number; template: any };

  it("each cluster's copy carries its share, and the override only where it is given", () => {
    expect(spec(desiredIn(ctx("a"), KEY)).replicas).toBe(3);
    expect(spec(desiredIn(ctx("b"), KEY)).replicas).toBe(6);
    expect(spec(desiredIn(ctx("c"), KEY)).replicas).toBe(0);
    expect(spec(desiredIn(ctx("a"), KEY)).template.spec.containers[0].image).toBe("nginx:1.27");
    expect(spec(desiredIn(ctx("b"), KEY)).template.spec.containers[0].image).toBe("nginx:1.26");
    expect((desiredIn(ctx("a"), KEY)!.metadata as any).annotations[OVERRIDES_ANNOTATION]).toBeUndefined();
  });

  it("the facts recorded in the log decide: a cluster made unschedulable loses its share to the others", () => {
    expect(spec(desiredIn(ctx("b", true, "2"), KEY)).replicas).toBe(0);
    expect(spec(desiredIn(ctx("a", true, "2"), KEY)).replicas).toBe(9);
    // Two workers (separate contexts, the same facts) compute the same shares.
    expect(desiredIn(ctx("a", true, "2"), KEY)).toEqual(desiredIn(ctx("a", true, "3"), KEY));
  });
});
