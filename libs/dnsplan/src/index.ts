// @kubefed/dnsplan: the pure DNS record planner of dns-sync (desired record sets of federated Services, diffs
// against what a provider holds, the member-side resolver stanza). Imports nothing with effects.
export * from "./records.ts";
export * from "./plan.ts";
export * from "./inputs.ts";
export * from "./owners.ts";
export * from "./resolver.ts";
