// @kubefed/state: the pure, deterministic fold of the objects log, its queries, and the ingest's decider.
export * from "./types.ts";
export { initialState, evolve, fold, DEFAULT_OUTCOME_LIMIT, type InitialStateOptions } from "./evolve.ts";
export { decide, rejectionOf, CommandType, type Command } from "./decide.ts";
export { checkEvent } from "./preconditions.ts";
export { IMPLICIT_NAMESPACES, OBJECT_FANOUT } from "./keys.ts";
export {
  getObject,
  listObjects,
  objectIn,
  objectsOfKind,
  keysInOrder,
  namespaceExists,
  getOutcome,
  resourceVersionOf,
  type ListSelector,
} from "./queries.ts";
export { diffObjects, DiffOp, VOLATILE_METADATA_PATHS, type DiffEntry, type DiffOptions } from "./diff.ts";
export { jsonEqual } from "./json.ts";
export { partsOf, stateOf, type StateParts } from "./snapshot.ts";
