// @kubefed/placement: which member clusters get a federated object, what each member should have, and whether
// a member already has it, and how a workload's replicas are divided across clusters. Pure: no I/O, no clock, no environment; the propagator brings the inputs.
export * from "./selector.ts";
export * from "./desired.ts";
export * from "./converged.ts";
export * from "./immutable.ts";
export * from "./kinds.ts";
export * from "./division.ts";
export * from "./preferences.ts";
export * from "./plan.ts";
export * from "./schedulability.ts";
export * from "./overrides.ts";
