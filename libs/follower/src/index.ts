// @kubefed/follower: the one log follower (tail, decode, fold, wait, subscribe) every read model of the project is.
export {
  Follower,
  byEvent,
  foldToEnd,
  type FollowerOptions,
  type Fold,
  type Positioned,
  type Snapshot,
  type SnapshotLoader,
  type Step,
  type WaitOptions,
} from "./follower.ts";
export { followObjects, outcomeOf, type ObjectsFollower, type ObjectsStep } from "./objects.ts";
export {
  SnapshotStore,
  SNAPSHOT_FORMAT,
  decodeSnapshot,
  encodeSnapshot,
  snapshotMessages,
  type ObjectsSnapshot,
  type SnapshotManifest,
} from "./snapshots.ts";
