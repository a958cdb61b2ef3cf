import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { defaultTopology, kwokStages, nodeObjects, REGION_LABEL, ZONE_LABEL } from "./kwok.ts";

const labels = (n: Record<string, unknown>) => (n.metadata as { labels: Record<string, string> }).labels;
const spec = (n: Record<string, unknown>) => n.spec as { podCIDR: string };

describe("simulated nodes", () => {
  it("defaults to region r<i> and one zone, so that join finds both", () => {
    expect(defaultTopology(0)).toEqual({ region: "r1", zones: ["r1-a"] });
    expect(defaultTopology(2)).toEqual({ region: "r3", zones: ["r3-a"] });
  });

  it("labels each node with its region and a zone in turn, and gives it a pod range of its own", () => {
    const nodes = nodeObjects("member2", 1, 3, { region: "eu", zones: ["eu-a", "eu-b"] });
    expect(nodes.map((n) => (n.metadata as { name: string }).name)).toEqual([
      "member2-node-0",
      "member2-node-1",
      "member2-node-2",
    ]);
    expect(nodes.map((n) => [labels(n)[REGION_LABEL], labels(n)[ZONE_LABEL]])).toEqual([
      ["eu", "eu-a"],
      ["eu", "eu-b"],
      ["eu", "eu-a"],
    ]);
    expect(nodes.map((n) => spec(n).podCIDR)).toEqual(["10.101.0.0/24", "10.101.1.0/24", "10.101.2.0/24"]);
    // Another member's ranges do not overlap.
    expect(spec(nodeObjects("member1", 0, 1, defaultTopology(0))[0]!).podCIDR).toBe("10.100.0.0/24");
  });

  it("refuses a node count or a topology a node could not carry", () => {
    expect(() => nodeObjects("m", 0, 0, defaultTopology(0))).toThrow(/kwok-m: 0 nodes asked for/);
    expect(() => nodeObjects("m", 0, 1, { region: "EU", zones: ["eu-a"] })).toThrow(/not valid label values/);
    expect(() => nodeObjects("m", 0, 1, { region: "eu", zones: [] })).toThrow(/at least one zone/);
  });

  it("has kwok stages for node readiness and heartbeat and for the pod lifecycle, each a valid Stage", () => {
    const docs = parseAllDocuments(kwokStages()).map(
      (d) =>
        d.toJS() as {
          apiVersion: string;
          kind: string;
          metadata: { name: string };
          spec: { resourceRef: { kind: string }; next: Record<string, unknown> };
        },
    );
    expect(docs.map((d) => [d.metadata.name, d.spec.resourceRef.kind])).toEqual([
      ["node-ready", "Node"],
      ["node-heartbeat", "Node"],
      ["pod-running", "Pod"],
      ["pod-succeeded", "Pod"],
      ["pod-deleted", "Pod"],
    ]);
    for (const d of docs) {
      expect(d.apiVersion).toBe("kwok.x-k8s.io/v1alpha1");
      expect(d.kind).toBe("Stage");
      expect(Object.keys(d.spec.next).length).toBeGreaterThan(0);
    }
  });
});
