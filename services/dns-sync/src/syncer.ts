/**
 * Keeps the zone at the planned record sets: plans the Services a fold may have changed, diffs their sets against
 * the sets it owns in the zone, and applies the difference in batches. Level-based: what it applies depends only
 * on the folds and on what the provider holds, so running it twice, or after a crash midway, converges the same.
 *
 * What it owns is listed from the provider when it becomes active, after any failed apply (a failure leaves the
 * zone unknown) and every RESYNC_MS; between those it keeps the list current from its own successful applies.
 * A set the provider refuses because another owner has records at that name is left out (counted, logged) until
 * the next full resync tries it again.
 */
import { FederationError, ErrorCode, toFederationError } from "@kubefed/events";
import {
  clusterSites,
  diffRecordSets,
  groupByService,
  loadBalancerServices,
  planService,
  plannedService,
  serviceKey,
  serviceOfName,
  setKey,
  type Change,
  type ClusterSite,
  type PlanSettings,
  type RecordSet,
} from "@kubefed/dnsplan";
import { parseObjectKey } from "@kubefed/names";
import type { Logger } from "@kubefed/logging";
import type { DnsProvider } from "./provider.ts";
import type { FederationState } from "@kubefed/state";
import type { StatusModel } from "@kubefed/status";
import type { Touched } from "./view.ts";

/** What the syncer reads its plans from (FederationView; a small in-memory one in unit tests). */
export interface PlanSource {
  readonly objectsState: FederationState;
  readonly statusModel: StatusModel;
  createdAt(key: string): bigint | undefined;
  onTouched(listener: (t: Touched) => void): () => void;
}

/** A full resync (list what is owned, plan everything) at least this often: the safety net. */
export const RESYNC_MS = 5 * 60_000;
const BACKOFF_MIN_MS = 200;
const BACKOFF_MAX_MS = 10_000;

export interface SyncMetrics {
  owned(count: number): void;
  /** Seconds from the append of the oldest change a pass covered to the end of that pass (stage planned/applied). */
  lag(stage: "planned" | "applied", seconds: number): void;
  applied(changes: number): void;
  providerError(code: string): void;
  conflicts(count: number): void;
}

export interface SyncerOptions {
  readonly view: PlanSource;
  readonly provider: DnsProvider;
  readonly settings: PlanSettings;
  /** The ownership marker's value: the federation's name. */
  readonly owner: string;
  /** Changes per provider call. */
  readonly batchSize: number;
  readonly logger: Logger;
  readonly metrics: SyncMetrics;
}

export interface SyncState {
  readonly active: boolean;
  /** Record sets owned in the zone, as last listed or applied. */
  readonly owned: number;
  /** True when nothing is waiting to be planned or applied. */
  readonly converged: boolean;
  /** Completed passes since start. */
  readonly passes: number;
  readonly conflicts: readonly string[];
  readonly lastError: string | null;
}

export class Syncer {
  private active = false;
  private running: Promise<void> | undefined;
  /** Owned sets by set key; undefined: not known, list before planning. */
  private owned: Map<string, RecordSet> | undefined;
  private ownedByService = new Map<string, Set<string>>();
  private all = true;
  private readonly dirty = new Set<string>();
  /** Append time (epoch ms) of the oldest change not yet applied. */
  private pendingSince: number | undefined;
  private readonly conflicted = new Map<string, string>();
  private failures = 0;
  private passes = 0;
  private lastError: string | null = null;
  /** Set while backing off after a failure: touches wait for it. */
  private backoff: ReturnType<typeof setTimeout> | undefined;
  private readonly resync: ReturnType<typeof setInterval>;
  private readonly unsubscribe: () => void;

  constructor(private readonly o: SyncerOptions) {
    this.unsubscribe = o.view.onTouched((t) => this.touched(t));
    this.resync = setInterval(() => {
      this.owned = undefined;
      this.kick();
    }, RESYNC_MS).unref();
  }

  get state(): SyncState {
    return {
      active: this.active,
      owned: this.owned?.size ?? 0,
      converged: this.owned !== undefined && !this.all && this.dirty.size === 0 && this.running === undefined,
      passes: this.passes,
      conflicts: [...this.conflicted.keys()],
      lastError: this.lastError,
    };
  }

  /** This replica holds the zone: list what it owns and converge. */
  activate(): void {
    if (this.active) return;
    this.active = true;
    this.owned = undefined;
    this.all = true;
    this.o.logger.info({ zone: this.o.settings.zone }, "dns-sync active: converging the zone");
    this.kick();
  }

  /** Another replica holds the zone now: stop writing (a pass under way ends after its current batch). */
  deactivate(): void {
    if (!this.active) return;
    this.active = false;
    this.o.logger.info("dns-sync on standby");
  }

  async stop(): Promise<void> {
    this.unsubscribe();
    this.active = false;
    clearInterval(this.resync);
    if (this.backoff) clearTimeout(this.backoff);
    await this.running;
  }

  private touched(t: Touched): void {
    if (t.all) this.all = true;
    for (const s of t.services) this.dirty.add(s);
    this.pendingSince = Math.min(this.pendingSince ?? t.since, t.since);
    this.kick();
  }

  /** Starts a pass unless one runs (it loops until nothing is left) or a backoff is pending. */
  private kick(): void {
    if (!this.active || this.running || this.backoff) return;
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
  }

  private async loop(): Promise<void> {
    // Let the rest of the fold's batch (and its subscribers) finish first: one pass covers all of it.
    await new Promise((r) => setImmediate(r));
    while (this.active) {
      if (this.owned !== undefined && !this.all && this.dirty.size === 0) break;
      const since = this.pendingSince;
      this.pendingSince = undefined;
      try {
        await this.pass();
        this.failures = 0;
        this.lastError = null;
        this.passes++;
        if (since !== undefined) this.o.metrics.lag("applied", (Date.now() - since) / 1000);
      } catch (e) {
        const err = toFederationError(e);
        this.failures++;
        this.lastError = err.message;
        this.o.metrics.providerError(err.code);
        this.o.logger.warn(
          { err: err.message, code: err.code, failures: this.failures },
          "DNS update failed; resyncing",
        );
        // The zone's state is unknown now: list it again and plan everything on the next attempt.
        this.owned = undefined;
        this.all = true;
        if (since !== undefined) this.pendingSince = Math.min(this.pendingSince ?? since, since);
        const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(this.failures - 1, 10));
        this.backoff = setTimeout(() => {
          this.backoff = undefined;
          this.kick();
        }, delay);
        return;
      }
    }
  }

  /** One pass: list if needed, plan what changed, apply the difference. */
  private async pass(): Promise<void> {
    const { zone } = this.o.settings;
    if (this.owned === undefined) {
      const listed = await this.o.provider.listOwned(zone, this.o.owner);
      this.owned = new Map(listed.map((s) => [setKey(s), s]));
      this.reindex();
      this.all = true;
      this.conflicted.clear();
    }
    const started = Date.now();
    const full = this.all;
    const keys = full ? this.allKeys() : [...this.dirty];
    this.all = false;
    this.dirty.clear();
    const sites = clusterSites(this.o.view.objectsState, this.o.view.statusModel);
    const desired: RecordSet[] = [];
    const current: RecordSet[] = [];
    for (const key of keys) {
      desired.push(...this.plan(key, sites).filter((s) => !this.conflicted.has(setKey(s))));
      for (const k of this.ownedByService.get(key) ?? []) current.push(this.owned.get(k)!);
    }
    const changes = diffRecordSets(desired, current);
    this.o.metrics.lag("planned", (Date.now() - started) / 1000);
    for (let i = 0; i < changes.length && this.active; i += this.o.batchSize) {
      const batch = changes.slice(i, i + this.o.batchSize);
      await this.applyBatch(batch);
    }
  }

  private async applyBatch(batch: Change[]): Promise<void> {
    const { zone } = this.o.settings;
    try {
      await this.o.provider.apply(zone, this.o.owner, batch);
      this.record(batch);
    } catch (e) {
      const err = toFederationError(e);
      if (!FederationError.is(err, ErrorCode.Conflict) || err.retryable || err.fieldErrors.length === 0) throw err;
      // Refused sets (records of another owner at their names): the provider applied the others.
      const refused = new Set(err.fieldErrors.map((f) => f.field));
      for (const f of err.fieldErrors) this.conflicted.set(f.field, f.message);
      this.o.metrics.providerError(err.code);
      this.o.metrics.conflicts(this.conflicted.size);
      this.o.logger.warn({ refused: [...refused] }, "record sets left alone: another owner has records at their names");
      this.record(batch.filter((c) => !refused.has(setKey(c.set))));
    }
  }

  private record(applied: Change[]): void {
    // In place: a copy per batch would cost the whole zone each time (10,000 Services are 50,000 sets).
    const owned = this.owned!;
    for (const c of applied) {
      if (c.action === "upsert") owned.set(setKey(c.set), c.set);
      else owned.delete(setKey(c.set));
    }
    for (const c of applied) {
      const service = this.serviceOf(c.set);
      const k = setKey(c.set);
      const set = this.ownedByService.get(service) ?? new Set<string>();
      if (c.action === "upsert") set.add(k);
      else set.delete(k);
      if (set.size > 0) this.ownedByService.set(service, set);
      else this.ownedByService.delete(service);
    }
    this.o.metrics.applied(applied.length);
    this.o.metrics.owned(owned.size);
  }

  private plan(key: string, sites: ReadonlyMap<string, ClusterSite>): RecordSet[] {
    if (key === "") return []; // names of no Service: never desired
    const ref = parseObjectKey(key);
    const v = this.o.view;
    const svc = plannedService(v.objectsState, v.statusModel, ref.namespace ?? "", ref.name, v.createdAt(key));
    return svc ? planService(svc, sites, this.o.settings) : [];
  }

  /** Every Service with names, planned or owned (an owned one may be gone from the objects). */
  private allKeys(): string[] {
    const keys = new Set(this.ownedByService.keys());
    for (const s of loadBalancerServices(this.o.view.objectsState)) keys.add(serviceKey(s.namespace, s.name));
    return [...keys];
  }

  private serviceOf(s: RecordSet): string {
    return serviceOfName(s.name, this.o.settings.zone, this.o.settings.federation) ?? "";
  }

  private reindex(): void {
    this.ownedByService = new Map();
    const groups = groupByService(this.owned!.values(), this.o.settings.zone, this.o.settings.federation);
    for (const [service, sets] of groups) this.ownedByService.set(service, new Set(sets.map(setKey)));
    this.o.metrics.owned(this.owned!.size);
  }
}
