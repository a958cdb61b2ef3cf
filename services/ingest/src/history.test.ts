import { describe, expect, it } from "vitest";
import type { FederationEvent } from "@kubefed/events";
import { concerns, revisionsOf } from "./history.ts";

const actor = { user: "alice", groups: [] };
const ref = (kind: string, namespace: string | null, name: string) => ({
  group: "",
  version: "v1",
  kind,
  namespace,
  name,
});
const meta = (id: string) => ({ eventId: id, time: "2026-01-01T00:00:00Z", actor, requestId: `r-${id}` });
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
      metadata: meta("e3"),
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

describe("revisionsOf", () => {
  it("lists applied writes of the object, including the cascade of its namespace's deletion", () => {
    expect(log.every((e) => concerns(e.event, cmRef))).toBe(true);
    const revs = revisionsOf(log, cmRef);
    expect(revs.map((r) => [r.resourceVersion, r.operation, r.user])).toEqual([
      ["1", "create", "alice"],
      ["3", "update", "alice"],
      ["4", "delete", "alice"],
    ]);
    expect(revs[1]!.changes).toEqual([{ op: "changed", path: "/data/a" }]);
  });

  it("ignores other objects' events", () => {
    expect(concerns(log[1]!.event, ref("ConfigMap", "shop", "other"))).toBe(false);
  });
});
