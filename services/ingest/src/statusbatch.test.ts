import { describe, expect, it } from "vitest";
import { objectKey } from "@kubefed/names";
import {
  EventType,
  ObservedOutcome,
  PreconditionType,
  StatusType,
  type JsonObject,
  type KubeObject,
  type ObjectObservedReport,
  type ObjectRef,
  type StatusReport,
} from "@kubefed/events";
import { evolve, getObject, initialState, type FederationState } from "@kubefed/state";
import { FEDERATION_GROUP } from "./resources.ts";
import { foldStatusBatch, mergeStatus, type ObjectsView, type StatusChange } from "./statusbatch.ts";
import { initialStatusModel, type StatusLimits } from "@kubefed/status";
import { health } from "@kubefed/status/testing";

const web: ObjectRef = { group: "apps", version: "v1", kind: "Deployment", namespace: "shop", name: "web" };
const clusterRef = (name: string): ObjectRef => ({
  group: FEDERATION_GROUP,
  version: "v1beta1",
  kind: "Cluster",
  namespace: null,
  name,
});

/**
 * An objects state with namespace shop, Deployment shop/web (at offset 1) and Clusters m1, m2, folded with the pure
 * `evolve`, and an empty status model. `batch` folds one batch of the status topic at its next offsets; "skipped"
 * takes an offset and folds nothing (a record the status view skipped as poison).
 */
function given(limits?: StatusLimits) {
  let state: FederationState = initialState();
  const created = new Map<string, bigint>();
  const create = (ref: ObjectRef, metadata: JsonObject) => {
    const offset = state.lastOffset === null ? 0n : BigInt(state.lastOffset) + 1n;
    const object: KubeObject = {
      apiVersion: ref.group === "" ? ref.version : `${ref.group}/${ref.version}`,
      kind: ref.kind,
      metadata,
    };
    state = evolve(
      state,
      {
        type: EventType.ObjectCreated,
        data: { ref, precondition: { type: PreconditionType.MustNotExist }, object },
        metadata: {
          eventId: `e-${offset}`,
          time: "2026-03-01T10:00:00Z",
          actor: { user: "alice", groups: [] },
          requestId: "r",
        },
      },
      { offset: String(offset) },
    );
    created.set(objectKey(ref), offset);
  };
  create({ group: "", version: "v1", kind: "Namespace", namespace: null, name: "shop" }, { name: "shop" });
  create(web, { name: "web", namespace: "shop" });
  for (const name of ["m1", "m2"]) create(clusterRef(name), { name });

  const model = initialStatusModel(limits);
  /** The objects state as it is now. */
  const objects = (): ObjectsView => ({
    current: state,
    resourceVersion: state.lastOffset ?? "0",
    createdAt: (key) => created.get(key),
  });
  let next = 0;
  return {
    model,
    objects,
    batch: (...reports: (StatusReport | "skipped")[]) =>
      foldStatusBatch(
        model,
        reports.flatMap((report) => {
          const offset = String(next++);
          return report === "skipped" ? [] : [{ report, offset }];
        }),
        objects(),
      ),
    create: (name: string) =>
      create({ group: "", version: "v1", kind: "ConfigMap", namespace: "shop", name }, { name, namespace: "shop" }),
    /** shop/web as the API shows it now. */
    web: () => mergeStatus(model, objects(), getObject(state, web)!),
  };
}

const observed = (
  cluster: string,
  outcome: ObservedOutcome,
  extra: Partial<ObjectObservedReport> = {},
): ObjectObservedReport => ({
  type: StatusType.ObjectObserved,
  cluster,
  time: "2026-03-01T10:00:00Z",
  worker: "w/1",
  ref: web,
  generation: 1,
  // The offset that created shop/web: the reports are about its current incarnation.
  resourceVersion: "1",
  outcome,
  message: outcome === ObservedOutcome.Failed ? "quota exceeded" : "ok",
  created: false,
  status: outcome === ObservedOutcome.Applied ? { replicas: 2 } : null,
  ...extra,
});

/** A change as [type, kind, name, count of an Event]. */
const brief = (c: StatusChange) => [
  c.type,
  c.object.kind,
  (c.object.metadata as { name: string }).name,
  ...(c.object.kind === "Event" ? [c.object.count] : []),
];
/** The name of the Event first derived from the report at `offset`. */
const eventName = (offset: number) => `web.${offset.toString(16).padStart(16, "0")}`;
const eventKey = (offset: number) => `shop/${eventName(offset)}`;

describe("status batch", () => {
  it("gives one MODIFIED per target whose status changed and one change per Event in its final state", () => {
    const { batch, objects, web: merged } = given();
    const rv = objects().resourceVersion;
    const { changes, eventVersions } = batch(
      health("m1", true, "2026-03-01T10:00:00Z"),
      health("m1", false, "2026-03-01T10:01:00Z"),
      observed("m1", ObservedOutcome.Applied, { created: true }),
      observed("m2", ObservedOutcome.Failed),
      "skipped",
      // Aggregated into the Event created two reports ago: still new to watchers.
      observed("m2", ObservedOutcome.Failed),
      observed("m1", ObservedOutcome.Applied, { status: { replicas: 3 } }),
    );
    expect(changes.map(brief)).toEqual([
      ["MODIFIED", "Cluster", "m1"],
      ["MODIFIED", "Deployment", "web"],
      ["ADDED", "Event", eventName(2), 1],
      ["ADDED", "Event", eventName(3), 2],
    ]);
    // Targets are announced as stored; watchers see them merged.
    expect(changes[1]!.object).toBe(getObject(objects().current, web));
    expect(changes.slice(2).map((c) => c.object.metadata)).toEqual([
      expect.objectContaining({ resourceVersion: rv }),
      expect.objectContaining({ resourceVersion: rv }),
    ]);
    // About the current incarnation of shop/web: the Event names its uid.
    expect(changes[3]!.object.involvedObject).toMatchObject({ name: "web", uid: "e-1" });
    expect(eventVersions).toEqual(
      new Map([
        [eventKey(2), rv],
        [eventKey(3), rv],
      ]),
    );
    expect(merged().status).toMatchObject({ replicas: 3 });
  });

  it("lists targets and Events in the order the batch first touched them, and skips targets that do not exist", () => {
    const { batch } = given();
    const { changes } = batch(
      observed("m2", ObservedOutcome.Failed),
      health("gone", true, "2026-03-01T10:00:00Z"),
      health("m2", true, "2026-03-01T10:00:00Z"),
      observed("m1", ObservedOutcome.Applied, { created: true }),
      observed("m2", ObservedOutcome.Failed),
    );
    expect(changes.map(brief)).toEqual([
      ["MODIFIED", "Deployment", "web"],
      ["MODIFIED", "Cluster", "m2"],
      ["ADDED", "Event", eventName(0), 2],
      ["ADDED", "Event", eventName(3), 1],
    ]);
  });

  it("gives nothing for a status that is back where it was, and MODIFIED with the new rv for an Event that existed", () => {
    const { batch, objects, create } = given();
    batch(
      health("m1", true, "2026-03-01T10:00:00Z"),
      observed("m1", ObservedOutcome.Applied),
      observed("m2", ObservedOutcome.Failed),
    );
    const before = objects().resourceVersion;
    create("moved");
    const rv = objects().resourceVersion;
    expect(rv).not.toBe(before);
    const { changes, eventVersions } = batch(
      observed("m1", ObservedOutcome.Applied, { status: { replicas: 5 } }),
      observed("m1", ObservedOutcome.Applied),
      health("m1", true, "2026-03-01T10:00:00Z"),
      observed("m2", ObservedOutcome.Failed),
    );
    expect(changes.map(brief)).toEqual([["MODIFIED", "Event", eventName(2), 2]]);
    expect(changes[0]!.object.metadata).toMatchObject({ resourceVersion: rv });
    expect(eventVersions).toEqual(new Map([[eventKey(2), rv]]));
  });

  it("deletes an evicted Event only if it existed before the batch", () => {
    const { batch, model } = given({ eventsPerObject: 2, objectsWithEvents: 10 });
    batch(observed("m1", ObservedOutcome.Applied, { created: true }), observed("m2", ObservedOutcome.Failed));
    const { changes, eventVersions } = batch(
      // Aggregates the Event of offset 1, evicted two reports later.
      observed("m2", ObservedOutcome.Failed),
      observed("m3", ObservedOutcome.Failed),
      observed("m1", ObservedOutcome.Removed),
      // Evicts the Event the m3 report created in this batch: never announced.
      observed("m4", ObservedOutcome.Failed),
    );
    expect(changes.map(brief)).toEqual([
      ["MODIFIED", "Deployment", "web"],
      ["DELETED", "Event", eventName(1), 2],
      ["DELETED", "Event", eventName(0), 1],
      ["ADDED", "Event", eventName(4), 1],
      ["ADDED", "Event", eventName(5), 1],
    ]);
    // Every evicted Event, announced or not, loses its resourceVersion.
    expect([...eventVersions]).toEqual([
      [eventKey(1), undefined],
      [eventKey(0), undefined],
      [eventKey(3), undefined],
      [eventKey(4), "3"],
      [eventKey(5), "3"],
    ]);
    expect(model.events.get(objectKey(web))!.map((e) => e.name)).toEqual([eventName(4), eventName(5)]);
  });
});
