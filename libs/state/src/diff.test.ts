import { describe, expect, it } from "vitest";
import { VOLATILE_METADATA_PATHS, diffObjects } from "./index.ts";

describe("diffObjects", () => {
  it("is empty for equal objects, whatever the key order", () => {
    expect(diffObjects({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toEqual([]);
  });

  it("reports creation and deletion as the whole document", () => {
    expect(diffObjects(undefined, { a: 1 })).toEqual([{ op: "added", path: "" }]);
    expect(diffObjects({ a: 1 }, undefined)).toEqual([{ op: "removed", path: "" }]);
    expect(diffObjects(undefined, undefined)).toEqual([]);
  });

  it("lists added, removed and changed paths in stable order, one entry per whole subtree", () => {
    const before = { metadata: { labels: { app: "web" } }, spec: { replicas: 2, paused: false }, status: { ready: 1 } };
    const after = {
      metadata: { labels: { app: "web", tier: "front" } },
      spec: { replicas: 3, template: { x: { y: 1 } } },
    };
    expect(diffObjects(before, after)).toEqual([
      { op: "added", path: "/metadata/labels/tier" },
      { op: "removed", path: "/spec/paused" },
      { op: "changed", path: "/spec/replicas" },
      { op: "added", path: "/spec/template" },
      { op: "removed", path: "/status" },
    ]);
  });

  it("compares arrays by index", () => {
    expect(diffObjects({ a: [1, 2, 3] }, { a: [1, 5] })).toEqual([
      { op: "changed", path: "/a/1" },
      { op: "removed", path: "/a/2" },
    ]);
    expect(diffObjects({ a: [{ n: 1 }] }, { a: [{ n: 2 }, { n: 3 }] })).toEqual([
      { op: "changed", path: "/a/0/n" },
      { op: "added", path: "/a/1" },
    ]);
  });

  it("reports a change of type as changed", () => {
    expect(diffObjects({ a: { b: 1 } }, { a: [1] })).toEqual([{ op: "changed", path: "/a" }]);
    expect(diffObjects({ a: null }, { a: 0 })).toEqual([{ op: "changed", path: "/a" }]);
    expect(diffObjects({ a: "1" }, { a: 1 })).toEqual([{ op: "changed", path: "/a" }]);
  });

  it("escapes keys as JSON Pointer (label keys contain '/')", () => {
    expect(diffObjects({}, { "app.kubernetes.io/name": "x", "a~b": 1 })).toEqual([
      { op: "added", path: "/app.kubernetes.io~1name" },
      { op: "added", path: "/a~0b" },
    ]);
  });

  it("skips ignored subtrees", () => {
    const before = { metadata: { resourceVersion: "1", managedFields: [{}], name: "a" } };
    const after = { metadata: { resourceVersion: "2", managedFields: [], name: "b" } };
    expect(diffObjects(before, after, { ignore: VOLATILE_METADATA_PATHS })).toEqual([
      { op: "changed", path: "/metadata/name" },
    ]);
  });

  it("never includes values (Secret history stays secret)", () => {
    const entries = diffObjects({ data: { password: "b2xk" } }, { data: { password: "bmV3" } });
    expect(JSON.stringify(entries)).not.toMatch(/b2xk|bmV3/);
  });
});
