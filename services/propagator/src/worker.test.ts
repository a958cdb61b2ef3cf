import { describe, expect, it } from "vitest";
import { selects } from "./worker.ts";

describe("cluster selection of a worker", () => {
  const eu = { name: "a", labels: { "topology.kubernetes.io/region": "eu" } };
  const us = { name: "b", labels: { "topology.kubernetes.io/region": "us" } };
  it("serves all, a list, or a region", () => {
    expect([eu, us].filter((c) => selects({ kind: "all" }, c)).map((c) => c.name)).toEqual(["a", "b"]);
    expect([eu, us].filter((c) => selects({ kind: "clusters", clusters: ["b"] }, c)).map((c) => c.name)).toEqual(["b"]);
    expect([eu, us].filter((c) => selects({ kind: "region", region: "eu" }, c)).map((c) => c.name)).toEqual(["a"]);
  });
});
