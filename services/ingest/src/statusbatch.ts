/**
 * What a batch of status reports changes for watchers: the pure part of the status view (statusview.ts). It
 * folds a batch of decoded reports into the status model (statusfold.ts) against one objects state, and returns
 * one change per target whose merged status (statusmerge.ts) differs from before the batch and one per derived
 * Event the batch touched, in its final state. No I/O: the objects state is a plain value (ObjectsView).
 */
import {
  StatusType,
  metaOf,
  type JsonValue,
  type KubeObject,
  type ObjectRef,
  type StatusReport,
} from "@kubefed/events";
import { objectKey } from "@kubefed/names";
import { getObject, jsonEqual, type FederationState } from "@kubefed/state";
import { FEDERATION_GROUP } from "./resources.ts";
import { foldStatus, type DerivedEvent, type StatusModel } from "@kubefed/status";
import {
  clusterStatus,
  eventObject,
  isCluster,
  isCurrent,
  isFederated,
  objectStatus,
  withStatus,
} from "./statusmerge.ts";

export type Identity = Pick<ObjectRef, "group" | "kind" | "namespace" | "name">;

/** What the status view reads of the objects state (the ReadModel provides it). */
export interface ObjectsView {
  /** The folded objects state. */
  readonly current: FederationState;
  /** The resourceVersion of `current`: the offset of its last event, "0" before any. */
  readonly resourceVersion: string;
  /** The offset that created the object with this key (`objectKey`), while it exists. */
  createdAt(key: string): bigint | undefined;
}

/** A change for watchers; the read model adds its rv when it publishes it. */
export interface StatusChange {
  type: "ADDED" | "MODIFIED" | "DELETED";
  /** `group/kind` of the object. */
  kindKey: string;
  namespace: string;
  object: KubeObject;
}

/** A decoded report and its offset in the status topic. */
export interface PositionedReport {
  report: StatusReport;
  offset: string;
}

export interface StatusBatch {
  /** In the order first touched: targets first, then derived Events. */
  changes: StatusChange[];
  /** The new resourceVersion of each derived Event the batch touched, by eventKey; undefined for one it evicted. */
  eventVersions: Map<string, string | undefined>;
}

export function identityOf(o: KubeObject): Identity {
  const apiVersion = String(o.apiVersion ?? "");
  const m = metaOf(o);
  return {
    group: apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "",
    kind: String(o.kind ?? ""),
    namespace: typeof m.namespace === "string" ? m.namespace : null,
    name: String(m.name ?? ""),
  };
}

/** The key of a derived Event among Events: `namespace/name`. */
export const eventKey = (e: Pick<DerivedEvent, "namespace" | "name">) => `${e.namespace}/${e.name}`;

export function changeOf(type: StatusChange["type"], object: KubeObject): StatusChange {
  const id = identityOf(object);
  return { type, kindKey: `${id.group}/${id.kind}`, namespace: id.namespace ?? "", object };
}

/** The object as the API shows it: its own fields with the reported status merged in. */
export function mergeStatus(model: StatusModel, objects: ObjectsView, o: KubeObject): KubeObject {
  if (isCluster(o)) {
    const h = model.clusters.get(String(metaOf(o).name ?? ""));
    return h
      ? withStatus(
          o,
          clusterStatus(
            typeof o.status === "object" && o.status !== null && !Array.isArray(o.status) ? o.status : {},
            h,
          ),
        )
      : o;
  }
  if (!isFederated(o)) return o;
  const key = objectKey(identityOf(o));
  const observed = model.observed.get(key);
  return observed ? withStatus(o, objectStatus(o, observed.values(), objects.createdAt(key))) : o;
}

/** The uid of the object the event is about, when it is the current incarnation (resolved on read: deterministic). */
export function involvedUid(objects: ObjectsView, e: DerivedEvent): string | undefined {
  const o = getObject(objects.current, e.involved);
  if (!o) return undefined;
  const uid = metaOf(o).uid;
  if (typeof uid !== "string") return undefined;
  // A removal carries no resourceVersion: it is about the object as it is now.
  if (e.objectResourceVersion === "") return uid;
  return isCurrent(e.objectResourceVersion, objects.createdAt(objectKey(e.involved))) ? uid : undefined;
}

/** A report's target (a Cluster or a federated object) as it was before the batch that touched it. */
interface TouchedTarget {
  object: KubeObject;
  /** Its merged status before the batch (the fold replaces the entries it is made of, never mutates them). */
  before: JsonValue | undefined;
}

/** A derived Event touched by a batch: its latest state, and whether watchers knew it before the batch. */
interface TouchedEvent {
  event: DerivedEvent;
  existed: boolean;
  evicted: boolean;
}

/**
 * Folds a batch of reports into `model` (mutated, as foldStatus does) on the objects state `objects`, which is the
 * same for all of them, and tells what watchers must hear: the batch as a whole, since announcing each report
 * would only add intermediate states of the same objects. Every change and Event version carries the
 * resourceVersion of `objects`.
 */
export function foldStatusBatch(
  model: StatusModel,
  reports: readonly PositionedReport[],
  objects: ObjectsView,
): StatusBatch {
  // In the order first touched: per target (objectKey; undefined when no such object exists), per Event (eventKey).
  const targets = new Map<string, TouchedTarget | undefined>();
  const events = new Map<string, TouchedEvent>();
  // An Event first touched by an eviction, or by an upsert that aggregated it (count > 1), existed before the batch.
  const touch = (event: DerivedEvent, evicted: boolean) =>
    events.set(eventKey(event), {
      event,
      evicted,
      existed: events.get(eventKey(event))?.existed ?? (evicted || event.count > 1),
    });
  for (const { report, offset } of reports) {
    const ref =
      report.type === StatusType.ClusterHealth
        ? { group: FEDERATION_GROUP, kind: "Cluster", namespace: null, name: report.cluster }
        : report.ref;
    const key = objectKey(ref);
    if (!targets.has(key)) {
      const object = getObject(objects.current, ref);
      targets.set(key, object && { object, before: mergeStatus(model, objects, object).status });
    }
    const delta = foldStatus(model, report, { offset });
    for (const e of delta.evicted) touch(e, true);
    for (const e of delta.upserted) touch(e, false);
  }

  const changes: StatusChange[] = [];
  for (const t of targets.values()) {
    if (t && !jsonEqual(t.before, mergeStatus(model, objects, t.object).status))
      changes.push(changeOf("MODIFIED", t.object));
  }
  const rv = objects.resourceVersion;
  const eventVersions = new Map<string, string | undefined>();
  for (const [key, { event, existed, evicted }] of events) {
    if (evicted) {
      eventVersions.set(key, undefined);
      // Unless it existed before the batch, no watcher has seen it: it came and went within the batch.
      if (existed) changes.push(changeOf("DELETED", eventObject(event, involvedUid(objects, event), rv)));
    } else {
      eventVersions.set(key, rv);
      changes.push(changeOf(existed ? "MODIFIED" : "ADDED", eventObject(event, involvedUid(objects, event), rv)));
    }
  }
  return { changes, eventVersions };
}
