import { describe, expect, it } from "vitest";
import { OVERRIDES_ANNOTATION, overridesProblems, withOverrides } from "./overrides.ts";

const deployment = (overrides: unknown) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "ns", annotations: { [OVERRIDES_ANNOTATION]: JSON.stringify(overrides) } },
  spec: { replicas: 2, template: { spec: { containers: [{ name: "c", image: "nginx:1.26" }] } } },
});
const IMAGE = "/spec/template/spec/containers/0/image";

describe("overrides", () => {
  it("apply to their cluster only, and the annotation is not pushed", () => {
    const fed = deployment({ east: [{ op: "replace", path: IMAGE, value: "nginx:1.27" }] });
    const east = withOverrides(fed, fed, "east");
    expect((east.spec as any).template.spec.containers[0].image).toBe("nginx:1.27");
    expect((east.metadata as any).annotations).toBeUndefined();
    const west = withOverrides(fed, fed, "west");
    expect((west.spec as any).template.spec.containers[0].image).toBe("nginx:1.26");
    expect((fed.spec as any).template.spec.containers[0].image).toBe("nginx:1.26");
  });

  it("are refused for an unknown cluster, a patch that does not apply, and the object's identity", () => {
    expect(overridesProblems(deployment({ nowhere: [] }), ["east"])).toEqual([
      "nowhere: no such cluster in the federation",
    ]);
    expect(
      overridesProblems(deployment({ east: [{ op: "replace", path: "/spec/nothing/here", value: 1 }] }), [
        "east",
      ]).join(),
    ).toContain("east: the patch does not apply");
    expect(
      overridesProblems(deployment({ east: [{ op: "replace", path: "/metadata/name", value: "x" }] }), ["east"]).join(),
    ).toContain("cannot be overridden");
    expect(overridesProblems(deployment({ east: {} }), ["east"])).toEqual([
      "east: must be a list of JSON patch operations",
    ]);
    expect(overridesProblems({ metadata: { annotations: { [OVERRIDES_ANNOTATION]: "[" } } }, [])[0]).toContain(
      "must be a JSON object",
    );
  });

  it("accept a valid patch", () => {
    expect(
      overridesProblems(deployment({ east: [{ op: "replace", path: IMAGE, value: "x" }] }), ["east", "west"]),
    ).toEqual([]);
  });

  it("a patch that stopped applying is a terminal error", () => {
    const fed = deployment({ east: [{ op: "replace", path: "/spec/gone", value: 1 }] });
    expect(() => withOverrides(fed, fed, "east")).toThrow(/does not apply/);
  });
});
