/**
 * A member's health: its /readyz probed every interval, with flap damping (N failures in a row to go Offline,
 * M successes to be Ready again), each transition published as a ClusterHealth report with the member's topology.
 */
import { StatusType, type StatusReport } from "@kubefed/events";
import type { Logger } from "@kubefed/logging";
import type { Member } from "./member.ts";

export interface HealthOptions {
  readonly cluster: string;
  readonly worker: string;
  readonly logger: Logger;
  /** Appends a report to the status topic; `onLost` runs when it could not be appended. */
  readonly publish: (report: StatusReport, onLost: () => void) => void;
  readonly probeIntervalMs: number;
  readonly failuresToOffline: number;
  readonly successesToReady: number;
  readonly metrics?: { health: (cluster: string, ready: boolean) => void };
  /** The member client now (undefined without an endpoint), and why there is none. */
  member(): Member | undefined;
  problem(): string | undefined;
  /** Whether the cursor is paused on a request the member did not answer. */
  paused(): boolean;
  /** The member answers again after the cursor paused or after being Offline: resume and resync. */
  recovered(): void;
}

export class Health {
  /** Flap damping: the published state and the run of probes disagreeing with it. */
  private state: { ready: boolean | undefined; streak: number; message: string } = {
    ready: undefined,
    streak: 0,
    message: "",
  };
  private topology: { region: string | null; zones: string[] } = { region: null, zones: [] };
  /** The last report could not be appended: publish the state again at the next probe. */
  private lost = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly o: HealthOptions) {}

  /** undefined until the first probe. */
  get ready(): boolean | undefined {
    return this.state.ready;
  }

  /** Probes once (the first state is published at once), then every interval. */
  async start(): Promise<void> {
    await this.probe();
    this.timer = setInterval(() => void this.probe(), this.o.probeIntervalMs);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  async probe(): Promise<void> {
    if (this.stopped) return;
    const member = this.o.member();
    const r = member
      ? await member.ready(Math.min(2000, this.o.probeIntervalMs))
      : { ok: false, message: this.o.problem() ?? "no endpoint" };
    const h = this.state;
    if (h.ready === undefined) {
      if (r.ok) this.topology = await member!.topology();
      this.transition(r.ok, r.message);
      return;
    }
    if (r.ok === h.ready) {
      h.streak = 0;
      if (this.lost) {
        this.lost = false;
        this.transition(r.ok, r.message);
        return;
      }
      // The cursor paused on a failed request while probes still pass: the blip is over.
      if (r.ok && this.o.paused()) this.o.recovered();
      return;
    }
    h.streak++;
    if (h.streak >= (r.ok ? this.o.successesToReady : this.o.failuresToOffline)) {
      if (r.ok) this.topology = await member!.topology();
      this.transition(r.ok, r.message);
    }
  }

  private transition(ready: boolean, message: string): void {
    const wasOffline = this.state.ready === false || this.o.paused();
    this.state = { ready, streak: 0, message };
    this.o.metrics?.health(this.o.cluster, ready);
    this.o.logger.info({ ready, message }, ready ? "cluster is ready" : "cluster is offline");
    this.o.publish(
      {
        type: StatusType.ClusterHealth,
        cluster: this.o.cluster,
        time: new Date().toISOString(),
        worker: this.o.worker,
        ready,
        reason: ready ? "ClusterReady" : this.o.member() ? "ClusterNotReachable" : "ClusterNotConfigured",
        message: ready ? "/readyz ok" : message,
        region: this.topology.region,
        zones: this.topology.zones,
      },
      () => (this.lost = true),
    );
    // Back from Offline: resume the cursor and resync (retries dropped while offline are covered by it).
    if (ready && wasOffline) this.o.recovered();
  }
}
