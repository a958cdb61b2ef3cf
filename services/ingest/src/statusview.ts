/**
 * The status side of the ingest: tails `<fed>.status` from its start into the status model (statusfold.ts),
 * merges the model into what get, list, watch and tables serve (statusmerge.ts), serves the derived Events
 * alongside the Events of the objects log, and tells watchers when a merged status or a derived Event changes.
 *
 * resourceVersions: an object keeps the resourceVersion of its last objects-log event when its merged status
 * changes, so writes with it still pass their precondition; the watch sends MODIFIED anyway (client-go informers
 * and `kubectl get -w` accept a repeated resourceVersion). The change is recorded at the current objects offset,
 * and watches resuming from an offset replay the status changes recorded at that offset too (ReadModel.changesSince),
 * so a resumed watch may repeat a MODIFIED but never misses one. A derived Event's resourceVersion is the objects
 * offset at which it last changed here, so resuming from it is sound as well (it is not a write precondition:
 * derived Events are read-only).
 */
import { ErrorCode, FederationError, StatusType, decodeStatus, refKey, toFederationError, type KubeObject, type ObjectRef } from "@kubefed/events";
import { getObject, jsonEqual, listObjects, type ListSelector } from "@kubefed/state";
import type { KafkaClient, LogRecord, Tail } from "@kubefed/kafka";
import type { Change, ReadModel } from "./readmodel.ts";
import { FEDERATION_GROUP } from "./resources.ts";
import { DEFAULT_STATUS_LIMITS, foldStatus, initialStatusModel, type DerivedEvent, type StatusLimits, type StatusModel } from "./statusfold.ts";
import { clusterStatus, eventObject, isCluster, isCurrent, isFederated, objectStatus, withStatus } from "./statusmerge.ts";

type Identity = Pick<ObjectRef, "group" | "kind" | "namespace" | "name">;

const metaOf = (o: KubeObject) => (typeof o.metadata === "object" && o.metadata !== null && !Array.isArray(o.metadata) ? o.metadata : {});

function identityOf(o: KubeObject): Identity {
  const apiVersion = String(o.apiVersion ?? "");
  const m = metaOf(o);
  return {
    group: apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "",
    kind: String(o.kind ?? ""),
    namespace: typeof m.namespace === "string" ? m.namespace : null,
    name: String(m.name ?? ""),
  };
}

/** The inverse of refKey (`group/kind/namespace/name`; no part contains '/'). */
function parseKey(key: string): Identity {
  const [group = "", kind = "", namespace = "", name = ""] = key.split("/");
  return { group, kind, namespace: namespace === "" ? null : namespace, name };
}

const isEventKind = (s: Pick<Identity, "group" | "kind">) => s.group === "" && s.kind === "Event";
const eventKey = (e: Pick<DerivedEvent, "namespace" | "name">) => `${e.namespace}/${e.name}`;

export interface StatusViewOptions {
  onPoison: (offset: string, err: FederationError) => void;
  limits?: StatusLimits;
}

export class StatusView {
  private readonly model: StatusModel;
  private tail: Tail | undefined;
  /** False while replaying the topic at start: nobody watches yet, so no change is computed. */
  private live = false;
  /** The objects offset at which each derived Event last changed here: its resourceVersion. */
  private readonly eventVersions = new Map<string, string>();
  private readonly offsetWaiters: { offset: bigint; resolve: () => void }[] = [];
  /** Offset of the last report read (folded or skipped as poison). */
  private lastSeen = -1n;
  poisonReports = 0;

  constructor(
    private readonly readModel: ReadModel,
    private readonly kafka: KafkaClient,
    private readonly topic: string,
    private readonly opts: StatusViewOptions,
  ) {
    this.model = initialStatusModel(opts.limits ?? DEFAULT_STATUS_LIMITS);
  }

  /** Replays the topic from its start (after the objects read model has caught up) and keeps following it. */
  async start(): Promise<void> {
    const [end] = await this.kafka.endOffsets(this.topic);
    const target = BigInt(end?.offset ?? "0") - 1n;
    const caughtUp = target < 0n ? Promise.resolve() : new Promise<void>((resolve) => this.offsetWaiters.push({ offset: target, resolve }));
    this.tail = await this.kafka.tail({ topic: this.topic, from: "earliest", onBatch: async (records) => this.apply(records) });
    await caughtUp;
    this.goLive();
  }

  async stop(): Promise<void> {
    await this.tail?.stop();
  }

  /** The object as the API shows it: its own fields with the reported status merged in. */
  merge(o: KubeObject): KubeObject {
    if (isCluster(o)) {
      const h = this.model.clusters.get(String(metaOf(o).name ?? ""));
      return h ? withStatus(o, clusterStatus(typeof o.status === "object" && o.status !== null && !Array.isArray(o.status) ? o.status : {}, h)) : o;
    }
    if (!isFederated(o)) return o;
    const key = refKey(identityOf(o));
    const observed = this.model.observed.get(key);
    return observed ? withStatus(o, objectStatus(o, observed.values(), this.readModel.createdAt(key))) : o;
  }

  /** One object by identity (merged), or a derived Event; undefined when neither exists. */
  get(ref: Identity): KubeObject | undefined {
    const o = getObject(this.readModel.current, ref);
    if (o) return this.merge(o);
    if (!isEventKind(ref)) return undefined;
    const key = `${ref.namespace ?? ""}/${ref.name}`;
    const e = this.derivedEvents().find((x) => eventKey(x) === key);
    return e ? this.eventObject(e) : undefined;
  }

  /** Objects of one kind in list order (merged); Events include the derived ones. */
  list(sel: ListSelector): KubeObject[] {
    const objects = listObjects(this.readModel.current, sel).map((o) => this.merge(o));
    if (!isEventKind(sel)) return objects;
    const derived = this.derivedEvents()
      .filter((e) => sel.namespace === undefined || e.namespace === sel.namespace)
      .map((e) => ({ key: eventKey(e), object: this.eventObject(e) }));
    const all = [...objects.map((o) => ({ key: `${String(metaOf(o).namespace ?? "")}/${String(metaOf(o).name)}`, object: o })), ...derived];
    // The order of etcd keys, as listObjects gives: by namespace/name in code-unit order.
    return all.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((x) => x.object);
  }

  /** True when `ref` names a derived Event (read-only). */
  isDerivedEvent(ref: Identity): boolean {
    return isEventKind(ref) && getObject(this.readModel.current, ref) === undefined && this.get(ref) !== undefined;
  }

  private derivedEvents(): DerivedEvent[] {
    return [...this.model.events.values()].flat();
  }

  private eventObject(e: DerivedEvent): KubeObject {
    return eventObject(e, this.involvedUid(e), this.eventVersions.get(eventKey(e)) ?? this.readModel.resourceVersion);
  }

  /** The uid of the object the event is about, when it is the current incarnation (resolved on read: deterministic). */
  private involvedUid(e: DerivedEvent): string | undefined {
    const o = getObject(this.readModel.current, e.involved);
    if (!o) return undefined;
    const uid = metaOf(o).uid;
    if (typeof uid !== "string") return undefined;
    // A removal carries no resourceVersion: it is about the object as it is now.
    if (e.objectResourceVersion === "") return uid;
    return isCurrent(e.objectResourceVersion, this.readModel.createdAt(refKey(e.involved))) ? uid : undefined;
  }

  private apply(records: LogRecord[]): void {
    for (const r of records) {
      let report;
      try {
        report = decodeStatus({ value: r.value, headers: r.headers });
      } catch (err) {
        // A report that cannot be decoded now never will be (no key is involved): skip it, as every replica does.
        const fe = toFederationError(err);
        this.poisonReports++;
        this.opts.onPoison(r.offset, fe.code === ErrorCode.PoisonEvent ? fe : new FederationError(ErrorCode.PoisonEvent, fe.message, { cause: err }));
        this.lastSeen = BigInt(r.offset);
        continue;
      }
      this.lastSeen = BigInt(r.offset);
      if (!this.live) {
        foldStatus(this.model, report, { offset: r.offset });
        continue;
      }
      const target = report.type === StatusType.ClusterHealth ? getObject(this.readModel.current, { group: FEDERATION_GROUP, kind: "Cluster", namespace: null, name: report.cluster }) : getObject(this.readModel.current, report.ref);
      const before = target ? this.merge(target).status : undefined;
      const delta = foldStatus(this.model, report, { offset: r.offset });
      const changes: Omit<Change, "rv" | "status">[] = [];
      if (target && (delta.cluster !== undefined || delta.object !== undefined) && !jsonEqual(before, this.merge(target).status)) {
        changes.push(this.change("MODIFIED", target));
      }
      const rv = this.readModel.resourceVersion;
      for (const e of delta.evicted) this.eventVersions.delete(eventKey(e));
      for (const e of delta.upserted) this.eventVersions.set(eventKey(e), rv);
      changes.push(...delta.evicted.map((e) => this.change("DELETED", eventObject(e, this.involvedUid(e), rv))));
      changes.push(...delta.upserted.map((e) => this.change(e.count === 1 ? "ADDED" : "MODIFIED", this.eventObject(e))));
      this.readModel.publishStatus(changes);
    }
    this.resolveWaiters();
  }

  /**
   * After the replay: what was folded before this process served anything is announced once, so a watch that
   * resumes from a resourceVersion handed out before a restart still ends up with the current merged state.
   */
  private goLive(): void {
    const changes: Omit<Change, "rv" | "status">[] = [];
    const state = this.readModel.current;
    for (const name of this.model.clusters.keys()) {
      const c = getObject(state, { group: FEDERATION_GROUP, kind: "Cluster", namespace: null, name });
      if (c) changes.push(this.change("MODIFIED", c));
    }
    for (const key of this.model.observed.keys()) {
      const o = getObject(state, parseKey(key));
      if (o) changes.push(this.change("MODIFIED", o));
    }
    const rv = this.readModel.resourceVersion;
    for (const e of this.derivedEvents()) {
      this.eventVersions.set(eventKey(e), rv);
      changes.push(this.change("ADDED", this.eventObject(e)));
    }
    this.live = true;
    this.readModel.publishStatus(changes);
  }

  private change(type: Change["type"], object: KubeObject): Omit<Change, "rv" | "status"> {
    const id = identityOf(object);
    return { type, kindKey: `${id.group}/${id.kind}`, namespace: id.namespace ?? "", object };
  }

  private resolveWaiters(): void {
    const last = this.lastSeen;
    for (let i = this.offsetWaiters.length - 1; i >= 0; i--) {
      const w = this.offsetWaiters[i]!;
      if (w.offset <= last) {
        this.offsetWaiters.splice(i, 1);
        w.resolve();
      }
    }
  }
}
