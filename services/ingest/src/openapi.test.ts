import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { acceptedMediaTypes, openapiResponse, snapshotManifest, v3Document, v3Index, v3Keys } from "./openapi.ts";
import { RESOURCES, groupVersion, isReview } from "./resources.ts";

/** Stored resources: reviews are only created, so they have no named paths, lists or PATCH. */
const STORED = RESOURCES.filter((r) => !isReview(r));

type Json = any;

const v3KeyOf = (gv: string) => (gv.includes("/") ? `apis/${gv}` : `api/${gv}`);
const servedGvs = [...new Set(RESOURCES.map(groupVersion))];
const body = (path: string, accept = "application/json"): Json => {
  const r = openapiResponse(path, accept);
  expect(r?.status).toBe(200);
  return JSON.parse(String(r?.body));
};
const gvkOf = (s: Json): Json[] => s["x-kubernetes-group-version-kind"] ?? [];

describe("acceptedMediaTypes", () => {
  it("orders clauses by q, keeps parameters and drops refused ones", () => {
    const m = acceptedMediaTypes(
      "application/yaml;q=0.5, application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList, text/plain;q=0",
    );
    expect(m.map((x) => `${x.type}/${x.subtype}`)).toEqual(["application/json", "application/yaml"]);
    expect(m[0]?.params).toEqual({ g: "apidiscovery.k8s.io", v: "v2", as: "APIGroupDiscoveryList" });
  });

  it("treats an empty header as */*", () => {
    expect(acceptedMediaTypes("")).toEqual([{ type: "*", subtype: "*", params: {}, q: 1 }]);
  });
});

describe("the snapshot", () => {
  it("records the Kubernetes version it came from", () => {
    expect(snapshotManifest().kubernetes).toMatchObject({
      gitVersion: expect.stringMatching(/^v1\.\d+\.\d+$/),
      major: "1",
    });
  });
});

describe("/openapi/v2", () => {
  it("answers JSON to JSON and wildcard clients", () => {
    for (const accept of [
      "application/json",
      "*/*",
      "",
      "application/com.github.proto-openapi.spec.v2@v1.0+protobuf, application/json",
    ]) {
      const r = openapiResponse("/openapi/v2", accept);
      expect(r).toMatchObject({ status: 200, contentType: "application/json" });
    }
    expect(body("/openapi/v2").swagger).toBe("2.0");
  });

  it("answers 406 to a protobuf-only client, which then treats v2 as unavailable", () => {
    expect(openapiResponse("/openapi/v2", "application/com.github.proto-openapi.spec.v2@v1.0+protobuf")?.status).toBe(
      406,
    );
  });

  it("has a path and a definition with the GVK extension for every served kind", () => {
    const doc = body("/openapi/v2");
    for (const r of STORED) {
      const prefix = r.group === "" ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
      const path = r.namespaced
        ? `${prefix}/namespaces/{namespace}/${r.resource}/{name}`
        : `${prefix}/${r.resource}/{name}`;
      expect(doc.paths[path]?.patch, path).toBeDefined();
      const defs = Object.values<Json>(doc.definitions).filter((d) =>
        gvkOf(d).some((g) => g.group === r.group && g.version === r.version && g.kind === r.kind),
      );
      expect(defs, r.kind).toHaveLength(1);
    }
  });

  it("only references definitions and parameters it contains", () => {
    const text = String(openapiResponse("/openapi/v2", "application/json")?.body);
    const doc = JSON.parse(text);
    for (const [, section, name] of text.matchAll(/"#\/(definitions|parameters)\/([^"]+)"/g))
      expect(doc[section!][name!], `${section}/${name}`).toBeDefined();
  });
});

describe("/openapi/v3", () => {
  it("lists every served group version with a content-hashed URL", () => {
    const index = body("/openapi/v3");
    expect(Object.keys(index.paths).sort()).toEqual(servedGvs.map(v3KeyOf).sort());
    expect(v3Keys().sort()).toEqual(servedGvs.map(v3KeyOf).sort());
    for (const [key, { serverRelativeURL }] of Object.entries<Json>(v3Index().paths)) {
      const r = openapiResponse(serverRelativeURL, "application/json");
      const hash = createHash("sha512")
        .update(r?.body as Buffer)
        .digest("hex")
        .toUpperCase();
      expect(serverRelativeURL).toBe(`/openapi/v3/${key}?hash=${hash}`);
      expect(r?.headers?.["Cache-Control"]).toContain("immutable");
    }
  });

  it("has each served kind's schema with its GVK extension and a PATCH taking fieldValidation", () => {
    for (const r of STORED) {
      const doc = body(`/openapi/v3/${v3KeyOf(groupVersion(r))}`);
      const schemas = Object.values<Json>(doc.components.schemas);
      expect(
        schemas.filter((s) =>
          gvkOf(s).some((g) => g.group === r.group && g.version === r.version && g.kind === r.kind),
        ),
        r.kind,
      ).toHaveLength(1);
      expect(
        schemas.some((s) => gvkOf(s).some((g) => g.kind === `${r.kind}List`)),
        `${r.kind}List`,
      ).toBe(true);
      // kubectl sends fieldValidation=Strict only when the kind's PATCH operation documents the parameter.
      const patch = Object.values<Json>(doc.paths).find(
        (p) => p.patch?.["x-kubernetes-group-version-kind"]?.kind === r.kind,
      )?.patch;
      expect(
        patch?.parameters?.map((p: Json) => p.name),
        r.kind,
      ).toContain("fieldValidation");
      for (const sub of r.subresources) {
        const path = Object.keys(doc.paths).find((p) => p.endsWith(`/${r.resource}/{name}/${sub}`));
        expect(path, `${r.resource}/${sub}`).toBeDefined();
      }
    }
  });

  it("describes the federation's Cluster as asked for by kubectl explain", () => {
    const doc = v3Document("apis/federation/v1beta1") as Json;
    const s = doc.components.schemas;
    const cluster = Object.values<Json>(s).find((x) =>
      gvkOf(x).some((g) => g.group === "federation" && g.kind === "Cluster"),
    );
    const spec = s[cluster.properties.spec.allOf[0].$ref.split("/").pop()];
    expect(Object.keys(spec.properties).sort()).toEqual(["caBundle", "secretRef", "serverAddressByClientCIDRs"]);
    const status = s[cluster.properties.status.allOf[0].$ref.split("/").pop()];
    expect(Object.keys(status.properties).sort()).toEqual(["conditions", "region", "zones"]);
    expect(doc.paths["/apis/federation/v1beta1/clusters/{name}/status"]).toBeDefined();
    expect(JSON.stringify(doc.paths)).not.toMatch(/Deployment|namespace}/);
  });

  it("resolves every $ref inside each document", () => {
    for (const key of v3Keys()) {
      const text = JSON.stringify(v3Document(key));
      const schemas = (v3Document(key) as Json).components.schemas;
      for (const [, name] of text.matchAll(/"#\/components\/schemas\/([^"]+)"/g))
        expect(schemas[name!], `${key}: ${name}`).toBeDefined();
    }
  });

  it("serves a stale hash the current document, uncached, and unknown group versions not at all", () => {
    const r = openapiResponse("/openapi/v3/apis/apps/v1?hash=0000", "application/json");
    expect(r).toMatchObject({ status: 200, headers: { "Cache-Control": "no-cache, private" } });
    expect(openapiResponse("/openapi/v3/apis/storage.k8s.io/v1", "application/json")).toBeUndefined();
    expect(openapiResponse("/apis", "application/json")).toBeUndefined();
    expect(
      openapiResponse("/openapi/v3/apis/apps/v1", "application/com.github.proto-openapi.spec.v3@v1.0+protobuf")?.status,
    ).toBe(406);
  });
});
