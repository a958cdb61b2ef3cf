// A small given/when/then harness for the fold, in the spirit of emmett's deciderSpecification: given a history of
// events (at offsets 0..n-1), when one more event is folded (at offset n), then assert on the outcome and state.
import { expect } from "vitest";
import type { FederationEvent, KubeObject } from "@kubefed/events";
import { evolve, initialState, type InitialStateOptions } from "../evolve.ts";
import type { FederationState, Outcome, RejectionReason } from "../types.ts";
import { getOutcome } from "../queries.ts";

export interface Then {
  readonly state: FederationState;
  readonly before: FederationState;
  readonly outcome: Outcome;
  /** Asserts the event applied and returns the resulting object. */
  thenApplied(expected?: Record<string, unknown>): KubeObject;
  /** Asserts the event was rejected for `reason` (and, when given, a message matching `message`). */
  thenRejected(reason: RejectionReason, message?: RegExp): void;
  /** Asserts the fold changed nothing but `lastOffset` and the outcome record. */
  thenObjectsUnchanged(): void;
}

export function deciderSpec(options: InitialStateOptions = {}) {
  return {
    given(history: readonly FederationEvent[]) {
      const before = history.reduce((s, e, i) => evolve(s, e, { offset: String(i) }), initialState(options));
      return {
        when(event: FederationEvent): Then {
          const state = evolve(before, event, { offset: String(history.length) });
          const outcome = getOutcome(state, event.metadata.eventId);
          if (!outcome) throw new Error(`no outcome recorded for ${event.metadata.eventId}`);
          return {
            state,
            before,
            outcome,
            thenApplied(expected) {
              expect(outcome, JSON.stringify(outcome)).toMatchObject({ status: "applied" });
              if (outcome.status !== "applied") throw new Error("unreachable");
              if (expected) expect(outcome.object).toMatchObject(expected);
              return outcome.object;
            },
            thenRejected(reason, message) {
              expect(outcome).toMatchObject({ status: "rejected", reason });
              if (message && outcome.status === "rejected") expect(outcome.message).toMatch(message);
              expect(state.kinds).toBe(before.kinds);
            },
            thenObjectsUnchanged() {
              expect(state.kinds).toBe(before.kinds);
            },
          };
        },
      };
    },
  };
}
