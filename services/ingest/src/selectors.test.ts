import { describe, expect, it } from "vitest";
import { parseLabelSelector, selectorMatcher } from "./selectors.ts";

const obj = (labels: Record<string, string>, name = "a", namespace = "ns") => ({
  metadata: { name, namespace, labels },
});

describe("label and field selectors", () => {
  it("parses every requirement form", () => {
    expect(parseLabelSelector("a=1,b!=2,c in (x, y),d notin (z),e,!f").map((r) => [r.key, r.op, r.values])).toEqual([
      ["a", "=", ["1"]],
      ["b", "!=", ["2"]],
      ["c", "in", ["x", "y"]],
      ["d", "notin", ["z"]],
      ["e", "exists", []],
      ["f", "!exists", []],
    ]);
  });

  it("matches labels and metadata fields", () => {
    const m = selectorMatcher("app=web,tier in (fe,be),!legacy", "metadata.name=a");
    expect(m(obj({ app: "web", tier: "fe" }))).toBe(true);
    expect(m(obj({ app: "web", tier: "db" }))).toBe(false);
    expect(m(obj({ app: "web", tier: "fe", legacy: "1" }))).toBe(false);
    expect(m(obj({ app: "web", tier: "fe" }, "b"))).toBe(false);
    expect(selectorMatcher(null, "metadata.namespace!=ns")(obj({}))).toBe(false);
  });

  it("refuses malformed selectors and unsupported fields with 400", () => {
    expect(() => parseLabelSelector("a in x")).toThrow(expect.objectContaining({ code: 400 }));
    expect(() => selectorMatcher(null, "spec.replicas=1")).toThrow("field label not supported: spec.replicas");
  });
});

describe("Event field selectors (kubectl describe)", () => {
  const event = {
    metadata: { name: "web.1", namespace: "shop" },
    involvedObject: { kind: "Deployment", namespace: "shop", name: "web", uid: "u-1" },
    type: "Warning",
    source: { component: "federation-propagator" },
  };
  it("select on involvedObject fields, type and source; absent fields are empty", () => {
    expect(
      selectorMatcher(
        null,
        "involvedObject.name=web,involvedObject.namespace=shop,involvedObject.kind=Deployment,involvedObject.uid=u-1",
        "Event",
      )(event),
    ).toBe(true);
    expect(selectorMatcher(null, "involvedObject.uid=u-2", "Event")(event)).toBe(false);
    expect(
      selectorMatcher(null, "type=Warning,source=federation-propagator,involvedObject.fieldPath=", "Event")(event),
    ).toBe(true);
    expect(() => selectorMatcher(null, "involvedObject.name=web", "ConfigMap")).toThrow("field label not supported");
  });
});
