import { describe, expect, it } from "vitest";
import type { FederationEvent } from "@kubefed/events";
import { byEvent } from "@kubefed/follower";
import { evolve, initialState, type FederationState } from "@kubefed/state";
import { changeHistory, objectHistory, parseTime, resourceVersionAt } from "./history.ts";
import { HistoryIndex } from "./historyindex.ts";
import { exactList } from "./pointintime.ts";
import { resolveResourceName } from "./resources.ts";

const actor = { user: "alice", groups: [] };
const ref = (kind: string, namespace: string | null, name: string) => ({
  group: "",
  version: "v1",
  kind,
  namespace,
  name,
});
const meta = (id: string, user = "alice") => ({
  eventId: id,
  time: `2026-01-01T00:00:0${id.slice(1)}Z`,
  actor: { ...actor, user },
  requestId: `r-${id}`,
});
const cmRef = ref("ConfigMap", "shop", "cfg");

const log: { event: FederationEvent; offset: string }[] = [
  {
    offset: "0",
    event: {
      type: "ObjectCreated",
      data: {
        ref: ref("Namespace", null, "shop"),
        precondition: { type: "MustNotExist" },
        object: { metadata: { name: "shop" } },
      },
      metadata: meta("e0"),
    },
  },
  {
    offset: "1",
    event: {
      type: "ObjectCreated",
      data: {
        ref: cmRef,
        precondition: { type: "MustNotExist" },
        object: { metadata: { name: "cfg", namespace: "shop" }, data: { a: "1" } },
      },
      metadata: meta("e1"),
    },
  },
  // Rejected (already exists): not a revision.
  {
    offset: "2",
    event: {
      type: "ObjectCreated",
      data: {
        ref: cmRef,
        precondition: { type: "MustNotExist" },
        object: { metadata: { name: "cfg", namespace: "shop" } },
      },
      metadata: meta("e2"),
    },
  },
  {
    offset: "3",
    event: {
      type: "ObjectUpdated",
      data: {
        ref: cmRef,
        precondition: { type: "ExpectedResourceVersion", resourceVersion: "1" },
        object: { metadata: { name: "cfg", namespace: "shop" }, data: { a: "2" } },
      },
      metadata: meta("e3", "bob"),
    },
  },
  {
    offset: "4",
    event: {
      type: "ObjectDeleted",
      data: { ref: ref("Namespace", null, "shop"), precondition: { type: "None" } },
      metadata: meta("e4"),
    },
  },
];

/** The index fed by the same fold the read model runs. */
function indexOf(events: typeof log): { index: HistoryIndex; state: FederationState } {
  const index = new HistoryIndex();
  const { state, changes } = byEvent((s: FederationState, e: FederationEvent, offset: string) =>
    evolve(s, e, { offset }),
  )(initialState(), events);
  index.add(changes);
  return { index, state };
}

const q = (o: Record<string, string>) => new URLSearchParams(o);
const cm = resolveResourceName("configmaps")!;

describe("the history index", () => {
  const { index } = indexOf(log);

  it("lists applied writes of the object, including the cascade of its namespace's deletion", () => {
    const h = objectHistory(index, q({ resource: "configmap", name: "cfg", namespace: "shop" }));
    const revs = h.revisions as { resourceVersion: string; operation: string; user: string; changes: unknown }[];
    expect(revs.map((r) => [r.resourceVersion, r.operation, r.user])).toEqual([
      ["1", "create", "alice"],
      ["3", "update", "bob"],
      ["4", "delete", "alice"],
    ]);
    expect(revs[1]!.changes).toEqual([{ op: "changed", path: "/data/a", from: '"1"', to: '"2"' }]);
  });

  it("pages an object's revisions with a continue token", () => {
    const first = objectHistory(index, q({ resource: "configmap", name: "cfg", namespace: "shop", limit: "2" }));
    expect((first.revisions as unknown[]).length).toBe(2);
    const token = (first.metadata as { continue: string }).continue;
    const rest = objectHistory(index, q({ resource: "configmap", name: "cfg", namespace: "shop", continue: token }));
    expect((rest.revisions as { resourceVersion: string }[]).map((r) => r.resourceVersion)).toEqual(["4"]);
    expect(rest.metadata).toEqual({});
  });

  it("answers an actor query in a time window, across objects", () => {
    const rows = (o: Record<string, string>) =>
      (changeHistory(index, q(o)).changes as { resourceVersion: string; object: { name: string } }[]).map(
        (c) => `${c.resourceVersion}:${c.object.name}`,
      );
    expect(rows({ actor: "alice" })).toEqual(["0:shop", "1:cfg", "4:shop", "4:cfg"]);
    expect(rows({ actor: "bob" })).toEqual(["3:cfg"]);
    expect(rows({ actor: "alice", since: "2026-01-01T00:00:01Z", until: "2026-01-01T00:00:04Z" })).toEqual(["1:cfg"]);
    expect(rows({ kind: "namespaces" })).toEqual(["0:shop", "4:shop"]);
    expect(rows({ namespace: "other" })).toEqual([]);
  });

  it("reads the resourceVersion at a time and lists as they were then", () => {
    expect(resourceVersionAt(index, q({ time: "2026-01-01T00:00:03.5Z" })).resourceVersion).toBe("3");
    const at = (rv: string) =>
      (exactList(index, cm, "shop", q({ resourceVersion: rv }), () => true, true).items as { data: unknown }[]).map(
        (o) => o.data,
      );
    expect(at("1")).toEqual([{ a: "1" }]);
    expect(at("2")).toEqual([{ a: "1" }]);
    expect(at("3")).toEqual([{ a: "2" }]);
    expect(at("4")).toEqual([]);
  });

  it("refuses bad input with a clear reason", () => {
    expect(() => resourceVersionAt(index, q({ time: "2025-12-31T00:00:00Z" }))).toThrow(
      "time 2025-12-31T00:00:00Z is before the first change (2026-01-01T00:00:00.000Z)",
    );
    expect(() => parseTime("yesterday", "since")).toThrow('since "yesterday" is not an RFC 3339 time');
    expect(() => exactList(index, cm, "shop", q({ resourceVersion: "99" }), () => true, true)).toThrow(
      "Too large resource version: 99, current: 4",
    );
    expect(() => objectHistory(index, q({ resource: "configmap", name: "nope" }))).toThrow(
      'configmaps "nope" has no history',
    );
  });
});
