import { describe, expect, it } from "vitest";
import { deciderSpec } from "./testing/decider-spec.ts";
import {
  cmRef,
  created,
  deleted,
  deployRef,
  mustNotExist,
  nsRef,
  ref,
  rv,
  statusUpdated,
  updated,
} from "./testing/builders.ts";
import { objectKey } from "@kubefed/names";
import { evolve, getObject, getOutcome, initialState, listObjects, namespaceExists } from "./index.ts";

const spec = deciderSpec();
const shop = created(nsRef("shop"));
const deployment = (replicas: number, extra: Record<string, unknown> = {}) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", labels: { app: "web" } },
  spec: { replicas },
  ...extra,
});

describe("ObjectCreated", () => {
  it("stores the object with server-set metadata from the event and its offset", () => {
    const event = created(deployRef("shop", "web"), {
      ...deployment(2),
      metadata: {
        name: "ignored",
        namespace: "ignored",
        uid: "client-uid",
        resourceVersion: "99",
        generation: 7,
        labels: { app: "web" },
      },
      status: { replicas: 5 },
    });
    const object = spec.given([shop]).when(event).thenApplied();
    expect(object).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: {
        name: "web",
        namespace: "shop",
        uid: event.metadata.eventId,
        resourceVersion: "1",
        generation: 1,
        creationTimestamp: "2024-05-01T10:00:00Z",
        labels: { app: "web" },
      },
      spec: { replicas: 2 },
    });
  });

  it("takes apiVersion and kind from the reference", () => {
    const object = spec
      .given([])
      .when(created(nsRef("x"), { apiVersion: "bogus", kind: "Bogus" }))
      .thenApplied();
    expect(object).toMatchObject({ apiVersion: "v1", kind: "Namespace", metadata: { name: "x" } });
    expect(object.metadata).not.toHaveProperty("namespace");
  });

  it("starts a Namespace Active", () => {
    spec
      .given([])
      .when(created(nsRef("x")))
      .thenApplied({ status: { phase: "Active" } });
  });

  it("rejects an existing object with AlreadyExists, whatever the precondition", () => {
    const cm = created(cmRef("shop", "a"));
    spec
      .given([shop, cm])
      .when(created(cmRef("shop", "a")))
      .thenRejected("AlreadyExists", /ConfigMap "a" already exists/);
    spec
      .given([shop, cm])
      .when(created(cmRef("shop", "a"), {}, { precondition: { type: "None" } }))
      .thenRejected("AlreadyExists");
  });

  it("rejects a namespaced object in a missing namespace with NotFound", () => {
    spec
      .given([])
      .when(created(cmRef("nope", "a")))
      .thenRejected("NotFound", /namespaces "nope" not found/);
  });

  it("accepts objects in the implicit default namespace", () => {
    expect(namespaceExists(initialState(), "default")).toBe(true);
    spec
      .given([])
      .when(created(cmRef("default", "a")))
      .thenApplied({ metadata: { namespace: "default" } });
  });

  it("rejects an expected resourceVersion on create as Invalid", () => {
    spec
      .given([shop])
      .when(created(cmRef("shop", "a"), {}, { precondition: rv("1") }))
      .thenRejected("Invalid", /should not be set/);
  });

  it("rejects a Namespace that claims a namespace", () => {
    spec
      .given([])
      .when(created(ref("Namespace", "x", "y")))
      .thenRejected("Invalid", /cluster-scoped/);
  });

  it("neither freezes nor aliases the event's object", () => {
    const data = { k: "v" };
    const state = evolve(initialState(), created(cmRef("default", "a"), { data }), { offset: "0" });
    expect(Object.isFrozen(data)).toBe(false);
    expect(getObject(state, cmRef("default", "a"))?.data).toEqual(data);
    expect(getObject(state, cmRef("default", "a"))?.data).not.toBe(data);
  });
});

describe("ObjectUpdated", () => {
  const web = created(deployRef("shop", "web"), deployment(2));

  it("bumps generation when the spec changes and keeps uid and creationTimestamp", () => {
    const then = spec
      .given([shop, web])
      .when(updated(deployRef("shop", "web"), deployment(3), { precondition: rv("1") }));
    then.thenApplied({
      spec: { replicas: 3 },
      metadata: {
        uid: web.metadata.eventId,
        resourceVersion: "2",
        generation: 2,
        creationTimestamp: "2024-05-01T10:00:00Z",
      },
    });
  });

  it("keeps generation when only metadata changes", () => {
    const relabel = deployment(2, { metadata: { name: "web", labels: { app: "web", tier: "front" } } });
    spec
      .given([shop, web])
      .when(updated(deployRef("shop", "web"), relabel))
      .thenApplied({
        metadata: { generation: 1, resourceVersion: "2", labels: { tier: "front" } },
      });
  });

  it("keeps the stored status and ignores the client's", () => {
    const withStatus = statusUpdated(deployRef("shop", "web"), { status: { readyReplicas: 2 } });
    spec
      .given([shop, web, withStatus])
      .when(updated(deployRef("shop", "web"), deployment(4, { status: { readyReplicas: 99 } })))
      .thenApplied({ status: { readyReplicas: 2 }, spec: { replicas: 4 }, metadata: { generation: 2 } });
  });

  it("rejects a stale resourceVersion with Conflict", () => {
    const v2 = updated(deployRef("shop", "web"), deployment(3));
    spec
      .given([shop, web, v2])
      .when(updated(deployRef("shop", "web"), deployment(5), { precondition: rv("1") }))
      .thenRejected("Conflict", /the object has been modified/);
  });

  it("rejects a missing object with NotFound", () => {
    spec
      .given([shop])
      .when(updated(deployRef("shop", "web"), deployment(1)))
      .thenRejected("NotFound", /Deployment "web" not found/);
  });

  it("rejects mustNotExist as Invalid", () => {
    spec
      .given([shop, web])
      .when(updated(deployRef("shop", "web"), deployment(1), { precondition: mustNotExist }))
      .thenRejected("Invalid");
  });
});

describe("ObjectStatusUpdated", () => {
  const web = created(deployRef("shop", "web"), deployment(2));

  it("changes only status and resourceVersion, never generation", () => {
    const then = spec
      .given([shop, web])
      .when(
        statusUpdated(
          deployRef("shop", "web"),
          { spec: { replicas: 100 }, status: { readyReplicas: 2 } },
          { precondition: rv("1") },
        ),
      );
    const object = then.thenApplied({ status: { readyReplicas: 2 }, spec: { replicas: 2 } });
    expect(object.metadata).toMatchObject({ generation: 1, resourceVersion: "2" });
  });

  it("removes status when the write carries none", () => {
    const s = statusUpdated(deployRef("shop", "web"), { status: { readyReplicas: 2 } });
    const object = spec
      .given([shop, web, s])
      .when(statusUpdated(deployRef("shop", "web"), {}))
      .thenApplied();
    expect(object).not.toHaveProperty("status");
  });

  it("rejects a missing object and a stale version", () => {
    spec
      .given([shop])
      .when(statusUpdated(deployRef("shop", "web"), { status: {} }))
      .thenRejected("NotFound");
    spec
      .given([shop, web])
      .when(statusUpdated(deployRef("shop", "web"), { status: {} }, { precondition: rv("0") }))
      .thenRejected("Conflict");
  });
});

describe("ObjectDeleted", () => {
  it("removes the object and reports it as it was", () => {
    const cm = created(cmRef("shop", "a"), { data: { k: "v" } });
    const then = spec.given([shop, cm]).when(deleted(cmRef("shop", "a"), { precondition: rv("1") }));
    then.thenApplied({ data: { k: "v" }, metadata: { resourceVersion: "1" } });
    expect(getObject(then.state, cmRef("shop", "a"))).toBeUndefined();
    expect(then.state.kinds["/ConfigMap"]).toBeUndefined();
  });

  it("deleting a Namespace deletes everything in it, and only that", () => {
    const history = [
      shop,
      created(nsRef("shopping")),
      created(cmRef("shop", "a")),
      created(cmRef("shop", "b")),
      created(deployRef("shop", "web"), deployment(1)),
      created(cmRef("shopping", "a")),
      created(cmRef("default", "a")),
    ];
    const then = spec.given(history).when(deleted(nsRef("shop")));
    then.thenApplied();
    expect(then.outcome).toMatchObject({
      changedKeys: ["/Namespace//shop", "/ConfigMap/shop/a", "/ConfigMap/shop/b", "apps/Deployment/shop/web"],
    });
    const names = listObjects(then.state, { group: "", kind: "ConfigMap" }).map((o) => o.metadata);
    expect(names).toMatchObject([
      { namespace: "default", name: "a" },
      { namespace: "shopping", name: "a" },
    ]);
    expect(listObjects(then.state, { group: "apps", kind: "Deployment" })).toEqual([]);
    expect(namespaceExists(then.state, "shop")).toBe(false);
    expect(namespaceExists(then.state, "shopping")).toBe(true);
  });

  it("forbids deleting the implicit default namespace", () => {
    const def = created(nsRef("default"));
    spec
      .given([def])
      .when(deleted(nsRef("default")))
      .thenRejected("Forbidden", /may not be deleted/);
  });

  it("rejects a missing object and a stale version", () => {
    spec
      .given([shop])
      .when(deleted(cmRef("shop", "a")))
      .thenRejected("NotFound");
    spec
      .given([shop, created(cmRef("shop", "a"))])
      .when(deleted(cmRef("shop", "a"), { precondition: rv("0") }))
      .thenRejected("Conflict");
  });
});

describe("log positions and duplicates", () => {
  it("ignores a redelivered offset and returns the same state", () => {
    const s1 = evolve(initialState(), shop, { offset: "5" });
    expect(evolve(s1, created(cmRef("shop", "late")), { offset: "5" })).toBe(s1);
    expect(evolve(s1, created(cmRef("shop", "late")), { offset: "4" })).toBe(s1);
  });

  it("treats a repeated event id as a duplicate produce: only lastOffset moves", () => {
    const cm = created(cmRef("shop", "a"));
    const s = [shop, cm].reduce((st, e, i) => evolve(st, e, { offset: String(i) }), initialState());
    const again = evolve(s, cm, { offset: "7" });
    expect(again.lastOffset).toBe("7");
    expect(again.kinds).toBe(s.kinds);
    expect(getOutcome(again, cm.metadata.eventId)).toMatchObject({ status: "applied", offset: "1" });
  });

  it("compares offsets numerically and normalises them", () => {
    const s = evolve(evolve(initialState(), shop, { offset: "9" }), created(cmRef("shop", "a")), { offset: "010" });
    expect(s.lastOffset).toBe("10");
    expect(getObject(s, cmRef("shop", "a"))?.metadata).toMatchObject({ resourceVersion: "10" });
  });

  it("handles offsets beyond 2^53", () => {
    const s = evolve(evolve(initialState(), shop, { offset: "9007199254740993" }), created(cmRef("shop", "a")), {
      offset: "9007199254740994",
    });
    expect(s.lastOffset).toBe("9007199254740994");
  });

  it("refuses an offset that is not a decimal integer", () => {
    expect(() => evolve(initialState(), shop, { offset: "-1" })).toThrow(/not a decimal integer/);
    expect(() => evolve(initialState(), shop, { offset: "" })).toThrow(/not a decimal integer/);
  });
});

describe("outcomes", () => {
  it("keeps the last N outcomes in log order, the same on every replica", () => {
    const events = [shop, ...["a", "b", "c", "d"].map((n) => created(cmRef("shop", n)))];
    const s = events.reduce((st, e, i) => evolve(st, e, { offset: String(i) }), initialState({ outcomeLimit: 3 }));
    const kept = events.slice(2).map((e) => e.metadata.eventId);
    expect(s.outcomeOrder).toEqual(kept);
    expect(
      Object.values(s.outcomes)
        .flatMap((b) => [...b.keys()])
        .sort(),
    ).toEqual([...kept].sort());
    expect(getOutcome(s, events[0]?.metadata.eventId ?? "")).toBeUndefined();
  });

  it("records who asked", () => {
    const cm = created(cmRef("nope", "a"));
    const then = spec.given([]).when(cm);
    expect(then.outcome).toMatchObject({
      eventId: cm.metadata.eventId,
      requestId: cm.metadata.requestId,
      offset: "0",
      key: "/ConfigMap/nope/a",
    });
  });

  it("validates the limit", () => {
    expect(() => initialState({ outcomeLimit: 0 })).toThrow(/positive integer/);
    expect(() => initialState({ outcomeLimit: 1.5 })).toThrow(/positive integer/);
  });
});

describe("queries", () => {
  it("lists in Kubernetes (etcd key) order and filters by namespace", () => {
    const names: Array<[string, string]> = [
      ["b", "z"],
      ["a-b", "y"],
      ["a", "x"],
      ["b", "a"],
      ["default", "m"],
    ];
    const history = [
      created(nsRef("a")),
      created(nsRef("a-b")),
      created(nsRef("b")),
      ...names.map(([ns, n]) => created(cmRef(ns, n))),
    ];
    const s = history.reduce((st, e, i) => evolve(st, e, { offset: String(i) }), initialState());
    const ids = (objs: readonly { metadata?: unknown }[]) =>
      objs.map((o) => `${(o.metadata as { namespace: string }).namespace}/${(o.metadata as { name: string }).name}`);
    expect(ids(listObjects(s, { group: "", kind: "ConfigMap" }))).toEqual(["a-b/y", "a/x", "b/a", "b/z", "default/m"]);
    expect(ids(listObjects(s, { group: "", kind: "ConfigMap", namespace: "a" }))).toEqual(["a/x"]);
    expect(ids(listObjects(s, { group: "", kind: "ConfigMap", namespace: "b" }))).toEqual(["b/a", "b/z"]);
    expect(listObjects(s, { group: "", kind: "ConfigMap", namespace: "none" })).toEqual([]);
    expect(listObjects(s, { group: "", kind: "Secret" })).toEqual([]);
    expect(listObjects(s, { group: "", kind: "Namespace" }).map((o) => (o.metadata as { name: string }).name)).toEqual([
      "a",
      "a-b",
      "b",
    ]);
  });

  it("builds object keys", () => {
    expect(objectKey(cmRef("shop", "a"))).toBe("/ConfigMap/shop/a");
    expect(objectKey(nsRef("shop"))).toBe("/Namespace//shop");
    expect(objectKey(deployRef("shop", "web"))).toBe("apps/Deployment/shop/web");
  });
});
