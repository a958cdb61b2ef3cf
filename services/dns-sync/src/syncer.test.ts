import { describe, expect, it } from "vitest";
import { ErrorCode, FederationError } from "@kubefed/events";
import { applyChanges, setKey, type Change, type RecordSet } from "@kubefed/dnsplan";
import { cluster, lbStatus, objects, observed, service, statusOf } from "@kubefed/dnsplan/testing";
import { createLogger } from "@kubefed/logging";
import { health } from "@kubefed/status/testing";
import type { DnsProvider } from "./provider.ts";
import { Syncer, type PlanSource, type SyncMetrics } from "./syncer.ts";
import type { Touched } from "./view.ts";

const ZONE = "example.com.";
const G = "web.default.fed.svc.example.com.";
const EU = "web.default.fed.svc.eu.example.com.";
const EU_A = "web.default.fed.svc.eu-a.eu.example.com.";
const T = "2026-01-01T00:00:00Z";

/** A provider of our own interface in memory: sets by owner; `foreign` names refuse writes; `failNext` fails a call. */
class MemoryProvider implements DnsProvider {
  readonly kind = "memory";
  sets = new Map<string, RecordSet>();
  foreign = new Set<string>();
  failNext = 0;
  calls = 0;
  async listOwned(): Promise<RecordSet[]> {
    return [...this.sets.values()];
  }
  async apply(_zone: string, _owner: string, changes: readonly Change[]): Promise<void> {
    this.calls++;
    if (this.failNext > 0) {
      this.failNext--;
      throw new FederationError(ErrorCode.Unreachable, "server down");
    }
    const refused = changes.filter((c) => c.action === "upsert" && this.foreign.has(c.set.name));
    this.sets = applyChanges(
      this.sets,
      changes.filter((c) => !refused.includes(c)),
    );
    if (refused.length > 0)
      throw new FederationError(ErrorCode.Conflict, "another owner", {
        fieldErrors: refused.map((c) => ({ field: setKey(c.set), message: "foreign" })),
      });
  }
  async close(): Promise<void> {}
  lines(): string[] {
    return [...this.sets.values()].map((s) => `${s.name} ${s.type} ${s.values.join(",")}`).sort();
  }
}

function source() {
  const listeners = new Set<(t: Touched) => void>();
  const src = {
    objectsState: objects([cluster("member1", "eu", "eu-a"), service("web")]),
    statusModel: statusOf([health("member1", true, T), observed("member1", "web", "1", lbStatus("10.0.0.1", 1))]),
    createdAt: () => 1n,
    onTouched: (l: (t: Touched) => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    touch: (t: Partial<Touched>) => listeners.forEach((l) => l({ all: false, services: [], since: Date.now(), ...t })),
  };
  return src satisfies PlanSource;
}

const errors: string[] = [];
const metrics: SyncMetrics = {
  owned: () => undefined,
  lag: () => undefined,
  applied: () => undefined,
  providerError: (code) => errors.push(code),
  conflicts: () => undefined,
};

function syncer(provider: DnsProvider, src: PlanSource, batchSize = 100) {
  return new Syncer({
    view: src,
    provider,
    settings: { federation: "fed", zone: ZONE, ttl: 30 },
    owner: "fed",
    batchSize,
    logger: createLogger({ service: "dns-sync-test", level: "silent" }),
    metrics,
  });
}

const converged = async (s: Syncer, passes = 1) => {
  for (let i = 0; i < 200; i++) {
    if (s.state.converged && s.state.passes >= passes) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`not converged: ${JSON.stringify(s.state)}`);
};

describe("Syncer", () => {
  it("converges the zone when it becomes active, and only then", async () => {
    const p = new MemoryProvider();
    const s = syncer(p, source());
    await new Promise((r) => setTimeout(r, 20));
    expect(p.calls).toBe(0);
    s.activate();
    await converged(s);
    expect(p.lines()).toEqual([`${EU_A} A 10.0.0.1`, `${EU} A 10.0.0.1`, `${G} A 10.0.0.1`]);
    await s.stop();
  });

  it("re-plans a Service its fold touched", async () => {
    const p = new MemoryProvider();
    const src = source();
    const s = syncer(p, src);
    s.activate();
    await converged(s);
    statusOf([observed("member1", "web", "1", lbStatus("10.0.0.1", 0))], src.statusModel);
    src.touch({ services: ["/Service/default/web"] });
    await converged(s, 2);
    expect(p.lines()).toEqual([`${EU_A} CNAME ${EU}`, `${EU} CNAME ${G}`]);
    await s.stop();
  });

  it("ends exactly at the desired sets from whatever owned sets a crash left, in batches", async () => {
    const p = new MemoryProvider();
    const stale = (name: string, values: string[]): RecordSet => ({ name, type: "A", ttl: 30, values });
    p.sets.set(`${G} A`, stale(G, ["10.0.0.1", "192.0.2.9"]));
    p.sets.set(`gone.default.fed.svc.example.com. A`, stale("gone.default.fed.svc.example.com.", ["10.0.0.7"]));
    p.sets.set(`${EU} CNAME`, { name: EU, type: "CNAME", ttl: 30, values: [G] });
    const s = syncer(p, source(), 1);
    s.activate();
    await converged(s);
    expect(p.lines()).toEqual([`${EU_A} A 10.0.0.1`, `${EU} A 10.0.0.1`, `${G} A 10.0.0.1`]);
    expect(p.calls).toBe(5);
    await s.stop();
  });

  it("retries after a provider failure, listing again, and reports it", async () => {
    const p = new MemoryProvider();
    p.failNext = 1;
    errors.length = 0;
    const s = syncer(p, source());
    s.activate();
    await converged(s);
    expect(errors).toEqual([ErrorCode.Unreachable]);
    expect(p.lines()).toHaveLength(3);
    expect(s.state.lastError).toBeNull();
    await s.stop();
  });

  it("leaves a set refused for another owner out, and applies the rest", async () => {
    const p = new MemoryProvider();
    p.foreign.add(G);
    const s = syncer(p, source());
    s.activate();
    await converged(s);
    expect(p.lines()).toEqual([`${EU_A} A 10.0.0.1`, `${EU} A 10.0.0.1`]);
    expect(s.state.conflicts).toEqual([`${G} A`]);
    await s.stop();
  });

  it("keeps what a fold touched on standby, and converges it once active again", async () => {
    const p = new MemoryProvider();
    const src = source();
    const s = syncer(p, src);
    s.activate();
    await converged(s);
    s.deactivate();
    const calls = p.calls;
    statusOf([observed("member1", "web", "1", lbStatus("10.0.0.1", 0))], src.statusModel);
    src.touch({ services: ["/Service/default/web"] });
    // The touch is taken synchronously; on standby no pass starts for it.
    expect(s.state).toMatchObject({ active: false, converged: false });
    expect(p.calls).toBe(calls);
    s.activate();
    await converged(s, 2);
    expect(p.lines()).toEqual([`${EU_A} CNAME ${EU}`, `${EU} CNAME ${G}`]);
    await s.stop();
  });
});
