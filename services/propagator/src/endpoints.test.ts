import { describe, expect, it } from "vitest";
import type { JsonObject, KubeObject } from "@kubefed/events";
import {
  ReadyEndpoints,
  readyEndpointsOf,
  readyEndpointsOfService,
  serviceKeyOf,
  withReadyEndpoints,
} from "./endpoints.ts";

const slice = (
  name: string,
  service: string | undefined,
  ready: (boolean | undefined | null)[],
  opts: { namespace?: string; addressType?: string } = {},
): KubeObject => ({
  apiVersion: "discovery.k8s.io/v1",
  kind: "EndpointSlice",
  metadata: {
    name,
    namespace: opts.namespace ?? "shop",
    labels: service ? { "kubernetes.io/service-name": service, "endpointslice.kubernetes.io/managed-by": "test" } : {},
  },
  addressType: opts.addressType ?? "IPv4",
  // undefined: no conditions at all; null: conditions without `ready`.
  endpoints: ready.map((r, i): JsonObject => {
    const e: JsonObject = { addresses: [`10.0.0.${i + 1}`] };
    if (r !== undefined) e.conditions = r === null ? {} : { ready: r };
    return e;
  }),
});

describe("ready endpoints of a slice", () => {
  it("counts endpoints not marked unready (a missing ready condition means ready)", () => {
    expect(readyEndpointsOf(slice("a", "web", [true, false, undefined, null]))).toBe(3);
    expect(readyEndpointsOf(slice("a", "web", [false, false]))).toBe(0);
    expect(
      readyEndpointsOf({
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        metadata: { name: "a" },
        addressType: "IPv4",
        endpoints: null,
      }),
    ).toBe(0);
  });

  it("belongs to the Service its label names, by federation key", () => {
    expect(serviceKeyOf(slice("web-abc", "web", []))).toBe("/Service/shop/web");
    expect(serviceKeyOf(slice("orphan", undefined, []))).toBeUndefined();
  });

  it("adds up per address type; dual stack counts each pod once", () => {
    expect(
      readyEndpointsOfService([
        { addressType: "IPv4", ready: 2 },
        { addressType: "IPv4", ready: 1 },
      ]),
    ).toBe(3);
    expect(
      readyEndpointsOfService([
        { addressType: "IPv4", ready: 2 },
        { addressType: "IPv6", ready: 2 },
        { addressType: "IPv4", ready: 1 },
      ]),
    ).toBe(3);
    expect(readyEndpointsOfService([])).toBe(0);
  });

  it("goes into the reported status as readyEndpoints, only when known", () => {
    expect(withReadyEndpoints({ loadBalancer: {} }, 2)).toEqual({ loadBalancer: {}, readyEndpoints: 2 });
    expect(withReadyEndpoints(null, 0)).toEqual({ readyEndpoints: 0 });
    expect(withReadyEndpoints(null, undefined)).toBeNull();
  });
});

describe("ReadyEndpoints of a member", () => {
  it("is unknown before the first list, then 0 for a Service without slices", () => {
    const r = new ReadyEndpoints();
    expect(r.count("/Service/shop/web")).toBeUndefined();
    expect(r.replace([])).toEqual([]);
    expect(r.count("/Service/shop/web")).toBe(0);
  });

  it("sums a Service's slices and says which Services changed", () => {
    const r = new ReadyEndpoints();
    expect(
      r.replace([
        slice("web-1", "web", [true, true]),
        slice("db-1", "db", [false]),
        slice("orphan", undefined, [true]),
      ]),
    ).toEqual(["/Service/shop/web"]);
    expect(r.count("/Service/shop/web")).toBe(2);
    expect(r.count("/Service/shop/db")).toBe(0);
    expect(r.upsert(slice("web-2", "web", [true, false]))).toEqual(["/Service/shop/web"]);
    expect(r.count("/Service/shop/web")).toBe(3);
    // Same count: nothing to say.
    expect(r.upsert(slice("web-2", "web", [false, true]))).toEqual([]);
    expect(r.upsert(slice("web-1", "web", [true, false]))).toEqual(["/Service/shop/web"]);
    expect(r.count("/Service/shop/web")).toBe(2);
    expect(r.remove(slice("web-2", "web", []))).toEqual(["/Service/shop/web"]);
    expect(r.count("/Service/shop/web")).toBe(1);
    expect(r.remove(slice("nothing", "web", []))).toEqual([]);
  });

  it("keeps namespaces apart, follows a slice relabelled to another Service, and drops an unlabelled one", () => {
    const r = new ReadyEndpoints();
    r.replace([slice("web-1", "web", [true]), slice("web-1", "web", [true, true], { namespace: "other" })]);
    expect([r.count("/Service/shop/web"), r.count("/Service/other/web")]).toEqual([1, 2]);
    expect(r.upsert(slice("web-1", "api", [true])).sort()).toEqual(["/Service/shop/api", "/Service/shop/web"]);
    expect([r.count("/Service/shop/web"), r.count("/Service/shop/api")]).toEqual([0, 1]);
    expect(r.upsert(slice("web-1", undefined, [true]))).toEqual(["/Service/shop/api"]);
    expect(r.count("/Service/shop/api")).toBe(0);
  });

  it("a relist reports only the Services whose count moved, including those whose slices are gone", () => {
    const r = new ReadyEndpoints();
    r.replace([slice("web-1", "web", [true, true]), slice("db-1", "db", [true]), slice("api-1", "api", [true])]);
    expect(r.replace([slice("web-1", "web", [true, true]), slice("db-1", "db", [true, true])]).sort()).toEqual([
      "/Service/shop/api",
      "/Service/shop/db",
    ]);
    expect([r.count("/Service/shop/web"), r.count("/Service/shop/db"), r.count("/Service/shop/api")]).toEqual([
      2, 2, 0,
    ]);
  });
});
