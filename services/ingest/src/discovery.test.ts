import { describe, expect, it } from "vitest";
import { AGGREGATED_DISCOVERY_V2, discoveryResponse } from "./discovery.ts";
import { RESOURCES, groupVersion, verbsOf } from "./resources.ts";

type Json = any;

/** What kubectl 1.36 sends for /api and /apis. */
const KUBECTL_DISCOVERY =
  "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
const get = (path: string, accept = "application/json"): Json => {
  const r = discoveryResponse(path, accept);
  expect(r?.status, path).toBe(200);
  return JSON.parse(String(r?.body));
};

describe("/version", () => {
  it("reports the Kubernetes version served, marked as the federation's", () => {
    const v = get("/version", "application/vnd.kubernetes.protobuf");
    expect(v).toMatchObject({
      major: "1",
      minor: "36",
      gitVersion: expect.stringMatching(/^v1\.36\.\d+\+federation$/),
    });
  });
});

describe("legacy discovery", () => {
  it("lists the core version and the named groups", () => {
    expect(get("/api", "application/json, */*")).toMatchObject({ kind: "APIVersions", versions: ["v1"] });
    const groups = get("/apis").groups as Json[];
    expect(groups.map((g) => g.name).sort()).toEqual(
      [...new Set(RESOURCES.filter((r) => r.group !== "").map((r) => r.group))].sort(),
    );
    for (const g of groups) expect(g.preferredVersion).toEqual(g.versions[0]);
    expect(get("/apis/autoscaling")).toMatchObject({
      kind: "APIGroup",
      name: "autoscaling",
      preferredVersion: { groupVersion: "autoscaling/v2", version: "v2" },
    });
  });

  it("lists every resource of the table with its verbs, short names, categories and scope", () => {
    for (const r of RESOURCES) {
      const gv = groupVersion(r);
      const list = get(r.group === "" ? `/api/${r.version}` : `/apis/${gv}`);
      expect(list).toMatchObject({ kind: "APIResourceList", groupVersion: gv });
      const entry = (list.resources as Json[]).find((x) => x.name === r.resource);
      expect(entry, r.resource).toMatchObject({
        singularName: r.singular,
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: verbsOf(r),
      });
      expect(entry.shortNames ?? []).toEqual(r.shortNames);
      expect(entry.categories ?? []).toEqual(r.categories);
      for (const sub of r.subresources) {
        const s = (list.resources as Json[]).find((x) => x.name === `${r.resource}/${sub}`);
        expect(s, `${r.resource}/${sub}`).toMatchObject({
          namespaced: r.namespaced,
          verbs: ["get", "patch", "update"],
        });
        expect(s.kind).toBe(sub === "scale" ? "Scale" : r.kind);
      }
    }
    expect((get("/apis/apps/v1").resources as Json[]).find((x) => x.name === "deployments/scale")).toMatchObject({
      group: "autoscaling",
      version: "v1",
      kind: "Scale",
    });
  });

  it("ignores a trailing slash and a query, and leaves unknown paths to the caller", () => {
    expect(get("/apis/apps/v1/?timeout=32s").groupVersion).toBe("apps/v1");
    for (const p of [
      "/apis/storage.k8s.io",
      "/apis/apps/v2",
      "/apis/autoscaling/v1",
      "/api/v2",
      "/apis/apps/v1/deployments",
      "/healthz",
    ])
      expect(discoveryResponse(p, "application/json"), p).toBeUndefined();
  });
});

describe("aggregated discovery", () => {
  it("answers kubectl's Accept header with apidiscovery.k8s.io/v2 and echoes the media type", () => {
    for (const path of ["/api", "/apis"]) {
      const r = discoveryResponse(path, KUBECTL_DISCOVERY);
      expect(r).toMatchObject({ status: 200, contentType: AGGREGATED_DISCOVERY_V2 });
      expect(JSON.parse(String(r?.body))).toMatchObject({
        kind: "APIGroupDiscoveryList",
        apiVersion: "apidiscovery.k8s.io/v2",
      });
    }
  });

  it("has every resource with verbs, scope, short names and subresources", () => {
    const items = [...get("/api", KUBECTL_DISCOVERY).items, ...get("/apis", KUBECTL_DISCOVERY).items] as Json[];
    expect(items.find((i) => i.metadata.name === undefined)?.versions[0].version).toBe("v1");
    for (const r of RESOURCES) {
      const group = items.find((i) => (i.metadata.name ?? "") === r.group);
      const version = group?.versions.find((v: Json) => v.version === r.version);
      expect(version?.freshness, groupVersion(r)).toBe("Current");
      const res = version.resources.find((x: Json) => x.resource === r.resource);
      expect(res, r.resource).toMatchObject({
        responseKind: { kind: r.kind },
        scope: r.namespaced ? "Namespaced" : "Cluster",
        singularResource: r.singular,
        verbs: verbsOf(r),
      });
      expect(res.shortNames ?? []).toEqual(r.shortNames);
      expect(res.categories ?? []).toEqual(r.categories);
      expect((res.subresources ?? []).map((s: Json) => s.subresource).sort()).toEqual([...r.subresources].sort());
    }
    const deploy = items
      .find((i) => i.metadata.name === "apps")
      .versions[0].resources.find((x: Json) => x.resource === "deployments");
    expect(deploy.subresources.find((s: Json) => s.subresource === "scale").responseKind).toEqual({
      group: "autoscaling",
      version: "v1",
      kind: "Scale",
    });
  });

  it("falls back to legacy discovery for clients that do not ask for it", () => {
    for (const accept of [
      "application/json",
      "",
      "*/*",
      "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json",
    ]) {
      expect(discoveryResponse("/apis", accept)).toMatchObject({ status: 200, contentType: "application/json" });
    }
    // Per-group-version documents exist only in the legacy form, whatever the client prefers.
    expect(discoveryResponse("/apis/apps/v1", KUBECTL_DISCOVERY)?.contentType).toBe("application/json");
  });

  it("answers 406 when no offered format is acceptable", () => {
    for (const accept of [
      "application/vnd.kubernetes.protobuf",
      "application/yaml",
      "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList;q=0",
    ]) {
      expect(discoveryResponse("/api/v1", accept)?.status, accept).toBe(406);
    }
    expect(
      discoveryResponse(
        "/apis",
        "application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
      )?.status,
    ).toBe(406);
  });
});
