import { describe, expect, it } from "vitest";
import { parseSchedulingPolicyConfig, versionedModule } from "./schedulingpolicy.ts";

describe("the SchedulingPolicy config file", () => {
  it("reads JSON or YAML with defaults", () => {
    expect(parseSchedulingPolicyConfig('{"url": "http://127.0.0.1:8181"}')).toEqual({
      url: "http://127.0.0.1:8181",
      timeoutMs: 2000,
      failOpen: false,
    });
    expect(parseSchedulingPolicyConfig("url: https://opa:8181\ntimeout: 500ms\nfailOpen: true\n")).toEqual({
      url: "https://opa:8181",
      timeoutMs: 500,
      failOpen: true,
    });
  });

  it.each([
    ["[", "not JSON or YAML"],
    ["- a", "must be an object"],
    ['{"url": "opa:8181"}', "url: must be the http(s) base URL"],
    ['{"url": "http://opa", "timeout": "2"}', "timeout: must be a positive duration"],
    ['{"url": "http://opa", "failOpen": "yes"}', "failOpen: must be true or false"],
    ['{"url": "http://opa", "uri": "x"}', "unknown field uri"],
  ])("refuses %s", (text, message) => {
    expect(() => parseSchedulingPolicyConfig(text)).toThrow(message);
  });
});

describe("versionedModule", () => {
  it("replaces the first package line and keeps the comments before it and the rules after", () => {
    const rego =
      "# the policy\npackage kubernetes.placement\n\nimport rego.v1\n\nannotations[k] := v if { k := 1; v := 2 }\n";
    expect(versionedModule(rego, "kubefed.scheduling.f_x.r12")).toBe(
      "# the policy\npackage kubefed.scheduling.f_x.r12\n\nimport rego.v1\n\nannotations[k] := v if { k := 1; v := 2 }\n",
    );
  });

  it("refuses a module without a package line", () => {
    expect(() => versionedModule("allow := true\n", "p")).toThrow("no package line");
  });
});
