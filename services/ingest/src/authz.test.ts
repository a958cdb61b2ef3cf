import { describe, expect, it } from "vitest";
import { requestVerb, resourceAttributes } from "./authz.ts";
import { findResource } from "./resources.ts";

const rt = (group: string, version: string, resource: string) => findResource(group, version, resource)!;
const q = (s = "") => new URLSearchParams(s);

describe("request attributes, as kube-apiserver's RequestInfo names them", () => {
  it("tells get, list, watch, deletecollection and delete apart", () => {
    expect(requestVerb("GET", { name: "x" }, q())).toBe("get");
    expect(requestVerb("GET", {}, q())).toBe("list");
    expect(requestVerb("GET", {}, q("watch=true"))).toBe("watch");
    expect(requestVerb("GET", {}, q("watch=1"))).toBe("watch");
    expect(requestVerb("DELETE", {}, q())).toBe("deletecollection");
    expect(requestVerb("DELETE", { name: "x" }, q())).toBe("delete");
    expect(requestVerb("PATCH", { name: "x" }, q())).toBe("patch");
  });

  it("puts a Namespace's own requests in that namespace, and names subresources", () => {
    expect(resourceAttributes("delete", { rt: rt("", "v1", "namespaces"), name: "kubefed-system" })).toMatchObject({
      resource: "namespaces",
      namespace: "kubefed-system",
      name: "kubefed-system",
    });
    expect(resourceAttributes("list", { rt: rt("", "v1", "namespaces") }).namespace).toBe("");
    expect(
      resourceAttributes("update", {
        rt: rt("apps", "v1", "deployments"),
        namespace: "shop",
        name: "web",
        subresource: "scale",
      }),
    ).toEqual({
      verb: "update",
      resourceRequest: true,
      apiGroup: "apps",
      resource: "deployments",
      subresource: "scale",
      name: "web",
      namespace: "shop",
    });
  });
});
