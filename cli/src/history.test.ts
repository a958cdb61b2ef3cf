import { describe, expect, it } from "vitest";
import { formatRevisions, parseTarget } from "./history.ts";

describe("kubefed history", () => {
  it("takes TYPE/NAME and refuses anything else", () => {
    expect(parseTarget("deployment/web")).toEqual({ resource: "deployment", name: "web" });
    expect(() => parseTarget("web")).toThrow('expected TYPE/NAME (for example deployment/web), got "web"');
  });

  it("prints aligned columns with +/-/~ per changed path", () => {
    const out = formatRevisions([
      { resourceVersion: "3", time: "2026-01-01T00:00:00.123Z", user: "alice", operation: "create", changes: [] },
      {
        resourceVersion: "12",
        time: "2026-01-01T00:01:00Z",
        user: "bob",
        operation: "update",
        changes: [
          { op: "changed", path: "/spec/replicas" },
          { op: "removed", path: "/metadata/labels/x" },
        ],
      },
    ]).split("\n");
    expect(out[0]).toBe("REVISION   TIME                   USER    OPERATION   CHANGES");
    expect(out[1]).toBe("3          2026-01-01T00:00:00Z   alice   create");
    expect(out[2]).toBe("12         2026-01-01T00:01:00Z   bob     update      ~/spec/replicas, -/metadata/labels/x");
  });
});

describe("readable changes", () => {
  it("shows values where the API gives them, paths alone otherwise", async () => {
    const { describeChange, formatChanges } = await import("./history.ts");
    expect(describeChange({ op: "changed", path: "/spec/replicas", from: "2", to: "3" })).toBe(
      "~/spec/replicas: 2 → 3",
    );
    expect(describeChange({ op: "added", path: "/data/b", to: '"x"' })).toBe('+/data/b: "x"');
    expect(describeChange({ op: "removed", path: "/metadata/labels/x", from: '"y"' })).toBe("-/metadata/labels/x");
    expect(describeChange({ op: "changed", path: "/data/password" })).toBe("~/data/password");
    const out = formatChanges([
      {
        resourceVersion: "7",
        time: "2026-01-01T00:00:00.5Z",
        user: "bob",
        operation: "update",
        object: { kind: "ConfigMap", namespace: "shop", name: "cfg" },
        changes: [{ op: "changed", path: "/data/a", from: '"1"', to: '"2"' }],
      },
    ]).split("\n");
    expect(out[0]).toBe("REVISION   TIME                   USER   OPERATION   NAMESPACE   OBJECT          CHANGES");
    expect(out[1]).toBe(
      '7          2026-01-01T00:00:00Z   bob    update      shop        configmap/cfg   ~/data/a: "1" → "2"',
    );
  });
});
