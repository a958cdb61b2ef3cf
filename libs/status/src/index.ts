// @kubefed/status: the pure fold of `<fed>.status` (cluster health, per-cluster observations, derived Events). The
// ingest shows it through the API; dns-sync and the placement planner read it. Imports nothing with effects.
export * from "./statusfold.ts";
