/**
 * The follower of the objects log: every consumer folds `<fed>.objects` with the same pure `evolve`, so each one's
 * state is exactly the federation's (the ingest's read model, the propagator's projection; dns-sync will).
 */
import { decodeEvent, type FederationError, type FederationEvent, type Keyring } from "@kubefed/events";
import type { TailSource } from "@kubefed/kafka";
import { evolve, getOutcome, initialState, type FederationState, type Outcome } from "@kubefed/state";
import { byEvent, Follower, type SnapshotLoader, type Step } from "./follower.ts";

export type ObjectsStep = Step<FederationState, FederationEvent>;
export type ObjectsFollower = Follower<FederationState, FederationEvent, ObjectsStep[], Outcome>;

/** The fold's verdict on a step's event, when it is about that very record (not an earlier one with the same id). */
export function outcomeOf({ event, offset, after }: ObjectsStep): Outcome | undefined {
  const outcome = getOutcome(after, event.metadata.eventId);
  return outcome && outcome.offset === offset ? outcome : undefined;
}

function* outcomesOf(steps: readonly ObjectsStep[]): Iterable<readonly [string, Outcome]> {
  for (const step of steps) {
    const outcome = outcomeOf(step);
    if (outcome) yield [step.event.metadata.eventId, outcome];
  }
}

/**
 * Follows the objects log from its start, or from the latest snapshot when given a loader (`SnapshotStore.loader`);
 * `expect(eventId)` resolves with the fold's verdict on that event.
 */
export function followObjects(o: {
  source: TailSource;
  topic: string;
  keyring: Keyring | undefined;
  onSkipped: (offset: string, err: FederationError) => void;
  snapshot?: SnapshotLoader<FederationState>;
}): ObjectsFollower {
  return new Follower({
    source: o.source,
    topic: o.topic,
    initial: initialState(),
    decode: (r) => decodeEvent({ value: r.value, headers: r.headers }, { keyring: o.keyring }),
    fold: byEvent((state: FederationState, event: FederationEvent, offset: string) => evolve(state, event, { offset })),
    settled: outcomesOf,
    onSkipped: o.onSkipped,
    ...(o.snapshot ? { snapshot: o.snapshot } : {}),
  });
}
