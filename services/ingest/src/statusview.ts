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
import {
  clusterSites,
  DEFAULT_TTL_SECONDS,
  isLoadBalancer,
  plannedService,
  planService,
  serviceKey,
} from "@kubefed/dnsplan";
import { decodeStatus, metaOf, type FederationError, type KubeObject, type StatusReport } from "@kubefed/events";
import { Follower, type Positioned } from "@kubefed/follower";
import { objectKey, parseObjectKey } from "@kubefed/names";
import { clusterFacts, isDivided, planOf, planStatus, type ClusterFacts } from "@kubefed/placement";
import { getObject, listObjects, objectsOfKind, type ListSelector } from "@kubefed/state";
import type { TailSource } from "@kubefed/kafka";
import type { ReadModel } from "./readmodel.ts";
import { FEDERATION_GROUP } from "./resources.ts";
import {
  changeOf,
  eventKey,
  foldStatusBatch,
  involvedUid,
  mergeStatus,
  type Identity,
  type StatusBatch,
  type StatusChange,
} from "./statusbatch.ts";
import {
  DEFAULT_STATUS_LIMITS,
  foldStatus,
  type ClusterHealth,
  initialStatusModel,
  type DerivedEvent,
  type StatusLimits,
  type StatusModel,
} from "@kubefed/status";
import { eventObject } from "./statusmerge.ts";

const isEventKind = (s: Pick<Identity, "group" | "kind">) => s.group === "" && s.kind === "Event";

export interface StatusViewOptions {
  onPoison: (offset: string, err: FederationError) => void;
  limits?: StatusLimits;
  /** The federation and the zone dns-sync keeps for it: LoadBalancer Services then show their DNS names. */
  dns?: { federation: string; zone: string };
}

export class StatusView {
  private readonly follower: Follower<StatusModel, StatusReport, StatusBatch | undefined>;
  /** False while replaying the topic at start: nobody watches yet, so no change is computed. */
  private live = false;
  /** The objects offset at which each derived Event last changed here: its resourceVersion. */
  private readonly eventVersions = new Map<string, string>();

  private readonly dns: StatusViewOptions["dns"];

  constructor(
    private readonly readModel: ReadModel,
    kafka: TailSource,
    topic: string,
    opts: StatusViewOptions,
  ) {
    this.dns = opts.dns;
    this.follower = new Follower({
      source: kafka,
      topic,
      initial: initialStatusModel(opts.limits ?? DEFAULT_STATUS_LIMITS),
      decode: (r) => decodeStatus({ value: r.value, headers: r.headers }),
      fold: (model, reports) => ({ state: model, changes: this.fold(model, reports) }),
      onSkipped: opts.onPoison,
    });
    this.follower.subscribe((batch) => batch && this.announce(batch));
  }

  private get model(): StatusModel {
    return this.follower.state;
  }

  /** Reports skipped as undecodable. */
  get poisonReports(): number {
    return this.follower.skipped;
  }

  /** Replays the topic from its start (after the objects read model has caught up) and keeps following it. */
  async start(): Promise<void> {
    await this.follower.start();
    this.goLive();
  }

  async stop(): Promise<void> {
    await this.follower.stop();
  }

  /**
   * The object as the API shows it: its own fields with the reported status merged in, and for a divided
   * workload the replica plan per cluster (`status.placement`), computed as the propagator computes it.
   */
  merge(o: KubeObject): KubeObject {
    const merged = mergeStatus(this.model, this.readModel, o);
    if (this.dns && o.kind === "Service" && isLoadBalancer(o)) return this.withDnsNames(merged);
    if (!isDivided(o)) return merged;
    const m = metaOf(o);
    const key = objectKey({
      group: String(o.apiVersion).split("/")[0]!,
      kind: String(o.kind),
      namespace: m.namespace ?? null,
      name: String(m.name),
    });
    const plan = planOf(o, key, this.clusterFacts());
    const status = (merged.status ?? {}) as Record<string, unknown>;
    return plan ? ({ ...merged, status: { ...status, placement: planStatus(plan) } } as KubeObject) : merged;
  }

  /**
   * `status.dns`: the names the Service has in the zone and what each answers, planned from the same two folds and
   * by the same planner as dns-sync, so they are what the zone holds once dns-sync has applied them (a name that
   * falls back to the level above shows its CNAME). The federation's own field, like `readyEndpoints`.
   */
  private withDnsNames(o: KubeObject): KubeObject {
    const { federation, zone } = this.dns!;
    const m = metaOf(o);
    const ns = String(m.namespace ?? "");
    const name = String(m.name);
    const state = this.readModel.current;
    const svc = plannedService(state, this.model, ns, name, this.readModel.createdAt(serviceKey(ns, name)));
    if (!svc) return o;
    const sets = planService(svc, clusterSites(state, this.model), { federation, zone, ttl: DEFAULT_TTL_SECONDS });
    const status = (o.status ?? {}) as Record<string, unknown>;
    return {
      ...o,
      status: { ...status, dns: sets.map((r) => ({ name: r.name, type: r.type, values: [...r.values] })) },
    } as KubeObject;
  }

  private facts: { table: unknown; facts: readonly ClusterFacts[] } | undefined;

  /** The Clusters as the objects log records them (labels, scheduling decision); rebuilt when one changes. */
  private clusterFacts(): readonly ClusterFacts[] {
    const state = this.readModel.current;
    const table = state.kinds[`${FEDERATION_GROUP}/Cluster`];
    if (this.facts?.table !== table || !this.facts)
      this.facts = {
        table,
        facts: objectsOfKind(state, `${FEDERATION_GROUP}/Cluster`).map(([, c]) => clusterFacts(c)),
      };
    return this.facts.facts;
  }

  /** The latest health a member reported for a cluster. */
  clusterHealth(name: string): ClusterHealth | undefined {
    return this.model.clusters.get(name);
  }

  /** Offset of the last status report folded; null before any. */
  get statusOffset(): string | null {
    return this.model.lastOffset;
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
    const all = [
      ...objects.map((o) => ({ key: `${String(metaOf(o).namespace ?? "")}/${String(metaOf(o).name)}`, object: o })),
      ...derived,
    ];
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
    return eventObject(
      e,
      involvedUid(this.readModel, e),
      this.eventVersions.get(eventKey(e)) ?? this.readModel.resourceVersion,
    );
  }

  /**
   * Folds a batch of reports (into `model`, mutated: see libs/status). Live, the batch is announced as a whole once
   * folded (statusbatch.ts): nothing else runs meanwhile (this is synchronous), so the objects state, and with it
   * every target and the rv of every change, is the same for all its reports. A report that cannot be decoded now
   * never will be (no key is involved): the follower skips it, as every replica does.
   */
  private fold(model: StatusModel, reports: readonly Positioned<StatusReport>[]): StatusBatch | undefined {
    const positioned = reports.map(({ event, offset }) => ({ report: event, offset }));
    if (this.live) return foldStatusBatch(model, positioned, this.readModel);
    // The replay: nobody watches yet, so no change is computed.
    for (const { report, offset } of positioned) foldStatus(model, report, { offset });
    return undefined;
  }

  private announce({ changes, eventVersions }: StatusBatch): void {
    for (const [key, rv] of eventVersions) {
      if (rv === undefined) this.eventVersions.delete(key);
      else this.eventVersions.set(key, rv);
    }
    this.readModel.publishStatus(changes);
  }

  /**
   * After the replay: what was folded before this process served anything is announced once, so a watch that
   * resumes from a resourceVersion handed out before a restart still ends up with the current merged state.
   */
  private goLive(): void {
    const changes: StatusChange[] = [];
    const state = this.readModel.current;
    for (const name of this.model.clusters.keys()) {
      const c = getObject(state, { group: FEDERATION_GROUP, kind: "Cluster", namespace: null, name });
      if (c) changes.push(changeOf("MODIFIED", c));
    }
    for (const key of this.model.observed.keys()) {
      const o = getObject(state, parseObjectKey(key));
      if (o) changes.push(changeOf("MODIFIED", o));
    }
    const rv = this.readModel.resourceVersion;
    for (const e of this.derivedEvents()) {
      this.eventVersions.set(eventKey(e), rv);
      changes.push(changeOf("ADDED", this.eventObject(e)));
    }
    this.live = true;
    this.readModel.publishStatus(changes);
  }
}
