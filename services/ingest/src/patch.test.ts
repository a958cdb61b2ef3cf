import { describe, expect, it } from "vitest";
import { applyJsonPatch, applyMergePatch, applyPatch, applyStrategicMergePatch, PatchType } from "./patch.ts";

const deploy = {
  metadata: { name: "web", labels: { app: "web", tier: "fe" } },
  spec: {
    replicas: 2,
    template: {
      spec: {
        containers: [
          { name: "app", image: "nginx:1", env: [{ name: "A", value: "1" }], ports: [{ containerPort: 80 }] },
          { name: "sidecar", image: "envoy:1" },
        ],
      },
    },
  },
};

describe("merge patch (RFC 7386)", () => {
  it("merges objects, deletes on null and replaces lists", () => {
    const out = applyMergePatch(deploy, {
      metadata: { labels: { tier: null, new: "x" } },
      spec: { template: { spec: { containers: [{ name: "only" }] } } },
    }) as typeof deploy;
    expect(out.metadata.labels).toEqual({ app: "web", new: "x" });
    expect(out.spec.template.spec.containers).toEqual([{ name: "only" }]);
    expect(deploy.metadata.labels.tier).toBe("fe");
  });
});

describe("strategic merge patch", () => {
  it("merges containers by name and env by name, keeping the others", () => {
    const out = applyStrategicMergePatch(deploy, {
      spec: {
        template: { spec: { containers: [{ name: "app", image: "nginx:2", env: [{ name: "B", value: "2" }] }] } },
      },
    }) as typeof deploy;
    const [app, sidecar] = out.spec.template.spec.containers;
    expect(app).toEqual({
      name: "app",
      image: "nginx:2",
      env: [
        { name: "A", value: "1" },
        { name: "B", value: "2" },
      ],
      ports: [{ containerPort: 80 }],
    });
    expect(sidecar).toEqual({ name: "sidecar", image: "envoy:1" });
  });

  it("honours $patch: delete in a list and $patch: replace on an object", () => {
    const del = applyStrategicMergePatch(deploy, {
      spec: { template: { spec: { containers: [{ name: "sidecar", $patch: "delete" }] } } },
    }) as typeof deploy;
    expect(del.spec.template.spec.containers.map((c) => c.name)).toEqual(["app"]);
    const rep = applyStrategicMergePatch(deploy, {
      metadata: { labels: { $patch: "replace", only: "1" } },
    }) as typeof deploy;
    expect(rep.metadata.labels).toEqual({ only: "1" });
  });

  it("removes values named by $deleteFromPrimitiveList", () => {
    const out = applyStrategicMergePatch(
      { spec: { finalizers: ["a", "b", "c"] } },
      { spec: { "$deleteFromPrimitiveList/finalizers": ["b"] } },
    );
    expect(out).toEqual({ spec: { finalizers: ["a", "c"] } });
  });
});

describe("JSON patch and dispatch", () => {
  it("applies operations and reports a failed test as a conflict", () => {
    expect(applyJsonPatch({ a: 1 }, [{ op: "replace", path: "/a", value: 2 }])).toEqual({ a: 2 });
    expect(() => applyJsonPatch({ a: 1 }, [{ op: "test", path: "/a", value: 9 }])).toThrow(
      expect.objectContaining({ reason: "Conflict" }),
    );
    expect(() => applyJsonPatch({ a: 1 }, { op: "add" })).toThrow(expect.objectContaining({ reason: "BadRequest" }));
    expect(() => applyJsonPatch({ a: 1 }, [{ op: "remove", path: "/missing" }])).toThrow(
      expect.objectContaining({ reason: "Invalid" }),
    );
  });

  it("refuses an unknown patch type with 415", () => {
    expect(applyPatch(PatchType.Merge, { a: 1 }, { b: 2 })).toEqual({ a: 1, b: 2 });
    expect(() => applyPatch("text/plain", {}, {})).toThrow(expect.objectContaining({ code: 415 }));
  });
});
