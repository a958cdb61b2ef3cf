// @kubefed/placement: which member clusters get a federated object, what each member should have, and whether
// a member already has it. Pure: no I/O, no clock, no environment; the propagator brings the inputs.
export * from "./selector.ts";
export * from "./desired.ts";
export * from "./converged.ts";
export * from "./immutable.ts";
export * from "./kinds.ts";
