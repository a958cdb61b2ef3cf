// Small given/when/then harnesses, in the spirit of emmett's deciderSpecification. For the fold: given a history of
// events (at offsets 0..n-1), when one more event is folded (at offset n), then assert on the outcome and state.
// For decide: given a history (or a state), when a command is decided, then assert on the events or the refusal.
import { expect } from "vitest";
import type { FederationEvent, KubeObject } from "@kubefed/events";
import { decide, rejectionOf, type Command } from "../decide.ts";
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

export interface ThenDecided {
  /** Asserts decide accepted the command with exactly these events, and returns them. */
  thenEvents(expected: readonly FederationEvent[]): readonly FederationEvent[];
  /** Asserts decide accepted the command and that the fold applies every event it chose. */
  thenAppliedByTheFold(): FederationState;
  /** Asserts decide refused the command for `reason` (and, when given, with exactly the fold's `message`). */
  thenRefused(reason: RejectionReason, message?: string): void;
}

/** Given/when/then for the command side: given a history (offsets 0..n-1), when `decide` sees a command, then... */
export function commandSpec(options: InitialStateOptions = {}) {
  return {
    given(history: readonly FederationEvent[] | FederationState) {
      const state = Array.isArray(history)
        ? (history as readonly FederationEvent[]).reduce(
            (s, e, i) => evolve(s, e, { offset: String(i) }),
            initialState(options),
          )
        : (history as FederationState);
      return {
        state,
        when(command: Command): ThenDecided {
          let events: FederationEvent[] | undefined;
          let refusal: unknown;
          try {
            events = decide(command, state);
          } catch (e) {
            refusal = e;
          }
          const accepted = (): FederationEvent[] => {
            if (events === undefined) throw new Error(`decide refused: ${String(refusal)}`);
            return events;
          };
          return {
            thenEvents(expected) {
              expect(accepted()).toEqual(expected);
              return accepted();
            },
            thenAppliedByTheFold() {
              let s = state;
              let offset = BigInt(state.lastOffset ?? "-1");
              for (const e of accepted()) {
                s = evolve(s, e, { offset: String(++offset) });
                expect(getOutcome(s, e.metadata.eventId)).toMatchObject({ status: "applied" });
              }
              return s;
            },
            thenRefused(reason, message) {
              expect(events, "decide accepted the command").toBeUndefined();
              const rejection = rejectionOf(refusal);
              expect(rejection, String(refusal)).toBeDefined();
              expect(rejection?.reason).toBe(reason);
              if (message !== undefined) expect(rejection?.message).toBe(message);
            },
          };
        },
      };
    },
  };
}
