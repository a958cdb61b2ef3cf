// dns-sync's Prometheus metrics: records owned, plan/apply lag, provider errors, whether this replica is active.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { SyncMetrics } from "./syncer.ts";

export function syncMetrics(provider: string): { registry: Registry; sync: SyncMetrics; active: Gauge } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const owned = new Gauge({
    name: "kubefed_dns_sync_records_owned",
    help: "Record sets this replica owns in the zone, as last listed or applied.",
    registers: [registry],
  });
  const lag = new Histogram({
    name: "kubefed_dns_sync_lag_seconds",
    help: "stage=applied: from the append of the oldest change a pass covered (a status report, or the fold of an objects event) until the provider had the records; stage=planned: time to plan and diff a pass.",
    labelNames: ["stage"],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const applied = new Counter({
    name: "kubefed_dns_sync_changes_applied_total",
    help: "Record-set changes (upserts and deletes) the provider accepted.",
    registers: [registry],
  });
  const errors = new Counter({
    name: "kubefed_dns_sync_provider_errors_total",
    help: "Failed provider calls by error code (Conflict: records of another owner at a planned name).",
    labelNames: ["provider", "code"],
    registers: [registry],
  });
  const conflicts = new Gauge({
    name: "kubefed_dns_sync_conflicting_record_sets",
    help: "Planned record sets left alone because another owner has records at their names.",
    registers: [registry],
  });
  const active = new Gauge({
    name: "kubefed_dns_sync_active",
    help: "1 when this replica writes the zone, 0 on standby.",
    registers: [registry],
  });
  return {
    registry,
    active,
    sync: {
      owned: (n) => owned.set(n),
      lag: (stage, s) => lag.observe({ stage }, s),
      applied: (n) => applied.inc(n),
      providerError: (code) => errors.inc({ provider, code }),
      conflicts: (n) => conflicts.set(n),
    },
  };
}
