import { describe, expect, it } from "vitest";
import { parseObjectKey } from "@kubefed/names";
import { memberKind, pathOf } from "./kinds.ts";

describe("member API paths", () => {
  it("maps keys of propagated kinds to member URLs, and leaves the others out", () => {
    const dep = memberKind(parseObjectKey("apps/Deployment/shop/web"))!;
    expect(pathOf(dep, "shop", "web")).toBe("/apis/apps/v1/namespaces/shop/deployments/web");
    expect(pathOf(dep, null)).toBe("/apis/apps/v1/deployments");
    expect(pathOf(memberKind(parseObjectKey("/Namespace//shop"))!, null, "shop")).toBe("/api/v1/namespaces/shop");
    expect(memberKind(parseObjectKey("federation/Cluster//member1"))).toBeUndefined();
    expect(memberKind(parseObjectKey("/Event/shop/x"))).toBeUndefined();
  });
});
