import { describe, expect, it } from "vitest";
import {
  apiVersionOf,
  isNamespaceKey,
  isNamespaceRef,
  kindKey,
  kindPrefix,
  namespaceKey,
  objectKey,
  parseObjectKey,
} from "./index.ts";

describe("object keys", () => {
  it("spell group/kind/namespace/name with empty core group and namespace", () => {
    expect(objectKey({ group: "", kind: "ConfigMap", namespace: "default", name: "app" })).toBe(
      "/ConfigMap/default/app",
    );
    expect(objectKey({ group: "apps", kind: "Deployment", namespace: "shop", name: "web" })).toBe(
      "apps/Deployment/shop/web",
    );
    expect(objectKey({ group: "federation", kind: "Cluster", namespace: null, name: "member1" })).toBe(
      "federation/Cluster//member1",
    );
  });

  it("parse back to the parts they were made of", () => {
    for (const ref of [
      { group: "", kind: "ConfigMap", namespace: "default", name: "app" },
      { group: "networking.k8s.io", kind: "Ingress", namespace: "shop", name: "web.example" },
      { group: "federation", kind: "Cluster", namespace: null, name: "member1" },
    ]) {
      expect(parseObjectKey(objectKey(ref))).toEqual(ref);
    }
  });

  it("parse leniently: missing parts are empty, a '/' after the third belongs to the name", () => {
    expect(parseObjectKey("apps/Deployment")).toEqual({ group: "apps", kind: "Deployment", namespace: null, name: "" });
    expect(parseObjectKey("/Event/shop/a/b")).toEqual({ group: "", kind: "Event", namespace: "shop", name: "a/b" });
  });

  it("give a Namespace its key with an empty namespace part, and tell Namespace keys apart", () => {
    expect(namespaceKey("shop")).toBe("/Namespace//shop");
    expect(namespaceKey("shop")).toBe(objectKey({ group: "", kind: "Namespace", namespace: null, name: "shop" }));
    expect(parseObjectKey(namespaceKey("shop"))).toEqual({
      group: "",
      kind: "Namespace",
      namespace: null,
      name: "shop",
    });
    expect(isNamespaceKey(namespaceKey("shop"))).toBe(true);
    expect(isNamespaceKey("/ConfigMap/shop/settings")).toBe(false);
    expect(isNamespaceKey("example.com/Namespace//shop")).toBe(false);
    expect(isNamespaceRef({ group: "", kind: "Namespace" })).toBe(true);
    expect(isNamespaceRef({ group: "example.com", kind: "Namespace" })).toBe(false);
  });

  it("prefix every key of a kind by its kind key", () => {
    const key = objectKey({ group: "apps", kind: "Deployment", namespace: "shop", name: "web" });
    expect(kindKey({ group: "apps", kind: "Deployment" })).toBe("apps/Deployment");
    expect(key.startsWith(kindPrefix({ group: "apps", kind: "Deployment" }))).toBe(true);
    expect(key.startsWith(kindPrefix({ group: "apps", kind: "DaemonSet" }))).toBe(false);
  });

  it("spell apiVersion as Kubernetes does", () => {
    expect(apiVersionOf({ group: "", version: "v1" })).toBe("v1");
    expect(apiVersionOf({ group: "apps", version: "v1" })).toBe("apps/v1");
  });
});
