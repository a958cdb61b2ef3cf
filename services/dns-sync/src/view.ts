/**
 * What dns-sync knows of the federation: the objects log and the status topic, each folded by the one log follower
 * (libs/follower) with the same folds as the ingest, and which Services each batch may have changed. A change of a
 * Cluster (labels, health) may change every Service's names; a change of one Service or of its report from one
 * member changes that Service's only.
 */
import {
  Header,
  decodeEvent,
  decodeStatus,
  type FederationError,
  type FederationEvent,
  type StatusReport,
} from "@kubefed/events";
import { Follower, byEvent, outcomeOf, type ObjectsStep, type Positioned } from "@kubefed/follower";
import type { TailSource } from "@kubefed/kafka";
import { objectsTopic, parseObjectKey, statusTopic } from "@kubefed/names";
import { evolve, getObject, initialState, type FederationState } from "@kubefed/state";
import { foldStatus, initialStatusModel, type StatusDelta, type StatusModel } from "@kubefed/status";
import { CLUSTER_KIND_KEY, SERVICE_KIND_KEY } from "@kubefed/dnsplan";

/** What a folded batch may have changed; `since` is the append time (epoch ms) of its oldest record. */
export interface Touched {
  readonly all: boolean;
  readonly services: readonly string[];
  readonly since: number;
}

interface TimedReport {
  readonly report: StatusReport;
  readonly timestamp: number;
}

const kindKeyOf = (key: string): string => key.slice(0, key.indexOf("/", key.indexOf("/") + 1));

const foldEvents = byEvent((state: FederationState, event: FederationEvent, offset: string) =>
  evolve(state, event, { offset }),
);

export class FederationView {
  /**
   * The objects log without Secrets: an encrypted event (a Secret's, key id in its header) is left out undecoded.
   * dns-sync holds no keyring on purpose (member credentials are Secrets), and nothing it plans reads a Secret.
   */
  readonly objects: Follower<FederationState, FederationEvent | undefined, ObjectsStep[]>;
  readonly status: Follower<StatusModel, TimedReport, { deltas: StatusDelta[]; since: number }>;
  /** The objects offset that created each existing Service: tells reports of an earlier incarnation apart. */
  private readonly created = new Map<string, bigint>();
  private readonly listeners = new Set<(t: Touched) => void>();

  constructor(o: {
    source: TailSource;
    federation: string;
    onSkipped: (topic: string, offset: string, err: FederationError) => void;
  }) {
    const objects = objectsTopic(o.federation);
    const status = statusTopic(o.federation);
    this.objects = new Follower({
      source: o.source,
      topic: objects,
      initial: initialState(),
      decode: (r) =>
        r.headers[Header.KeyId] !== undefined ? undefined : decodeEvent({ value: r.value, headers: r.headers }),
      fold: (state, batch) =>
        foldEvents(
          state,
          batch.filter((p): p is Positioned<FederationEvent> => p.event !== undefined),
        ),
      onSkipped: (offset, err) => o.onSkipped(objects, offset, err),
    });
    this.status = new Follower({
      source: o.source,
      topic: status,
      initial: initialStatusModel(),
      decode: (r) => ({ report: decodeStatus({ value: r.value, headers: r.headers }), timestamp: Number(r.timestamp) }),
      fold: (model, batch) => {
        const deltas = batch.map((p) => foldStatus(model, p.event.report, { offset: p.offset }));
        return { state: model, changes: { deltas, since: Math.min(...batch.map((p) => p.event.timestamp)) } };
      },
      onSkipped: (offset, err) => o.onSkipped(status, offset, err),
    });
    // Subscribed before start: the replay's batches are seen too, so `created` is complete.
    this.objects.subscribe((steps) => {
      let all = false;
      const services: string[] = [];
      for (const step of steps) {
        const outcome = outcomeOf(step);
        if (outcome?.status !== "applied") continue;
        for (const key of outcome.changedKeys) {
          const kk = kindKeyOf(key);
          if (kk === CLUSTER_KIND_KEY) all = true;
          if (kk !== SERVICE_KIND_KEY) continue;
          services.push(key);
          const ref = parseObjectKey(key);
          const existed = getObject(step.before, ref) !== undefined;
          const exists = getObject(step.after, ref) !== undefined;
          if (exists && !existed) this.created.set(key, BigInt(step.offset));
          if (!exists) this.created.delete(key);
        }
      }
      if (all || services.length > 0) this.tell({ all, services, since: Date.now() });
    });
    this.status.subscribe(({ deltas, since }) => {
      let all = false;
      const services: string[] = [];
      for (const d of deltas) {
        if (d.cluster !== undefined) all = true;
        if (d.object !== undefined && kindKeyOf(d.object) === SERVICE_KIND_KEY) services.push(d.object);
      }
      if (all || services.length > 0) this.tell({ all, services, since });
    });
  }

  get objectsState(): FederationState {
    return this.objects.state;
  }

  get statusModel(): StatusModel {
    return this.status.state;
  }

  createdAt(key: string): bigint | undefined {
    return this.created.get(key);
  }

  onTouched(listener: (t: Touched) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private tell(t: Touched): void {
    for (const l of this.listeners) l(t);
  }

  /** Replays both topics from their start (objects first: status reports are read against it), then follows. */
  async start(): Promise<void> {
    await this.objects.start();
    await this.status.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.objects.stop(), this.status.stop()]);
  }
}
