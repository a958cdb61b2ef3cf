import { describe, expect, it } from "vitest";
import { FederationError, type EventMetadata } from "@kubefed/events";
import { cmRef, created, nsRef } from "./testing/builders.ts";
import { CommandType, decide, evolve, getOutcome, initialState, type Command } from "./index.ts";

const metadata: EventMetadata = { eventId: "c-1", time: "2024-01-01T00:00:00Z", actor: { user: "u", groups: [] }, requestId: "r" };
const state = [created(nsRef("shop")), created(cmRef("shop", "a"), { data: { k: "v" } })].reduce(
  (s, e, i) => evolve(s, e, { offset: String(i) }),
  initialState(),
);

const thrown = (fn: () => unknown): FederationError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof FederationError) return e;
    throw e;
  }
  throw new Error("expected a FederationError");
};

describe("decide", () => {
  it("creates with a must-not-exist precondition", () => {
    const cmd: Command = { type: CommandType.CreateObject, data: { ref: cmRef("shop", "b"), object: {}, fieldManager: "kubectl" }, metadata };
    expect(decide(cmd, state)).toEqual([
      { type: "ObjectCreated", data: { ref: cmRef("shop", "b"), object: {}, fieldManager: "kubectl", precondition: { type: "MustNotExist" } }, metadata },
    ]);
  });

  it("refuses what the read model already shows, with the fold's reasons as error codes", () => {
    const create: Command = { type: CommandType.CreateObject, data: { ref: cmRef("shop", "a"), object: {} }, metadata };
    expect(thrown(() => decide(create, state))).toMatchObject({ code: "AlreadyExists", retryable: false });
    const missingNs: Command = { type: CommandType.CreateObject, data: { ref: cmRef("nope", "a"), object: {} }, metadata };
    expect(thrown(() => decide(missingNs, state)).code).toBe("NotFound");
    const stale: Command = {
      type: CommandType.UpdateObject,
      data: { ref: cmRef("shop", "a"), object: { metadata: { resourceVersion: "0" } } },
      metadata,
    };
    expect(thrown(() => decide(stale, state)).code).toBe("Conflict");
    const delDefault: Command = { type: CommandType.DeleteObject, data: { ref: nsRef("default") }, metadata };
    expect(thrown(() => decide(delDefault, state)).code).toBe("Forbidden");
  });

  it("derives the update precondition from metadata.resourceVersion, else none", () => {
    const withRv: Command = {
      type: CommandType.UpdateObject,
      data: { ref: cmRef("shop", "a"), object: { metadata: { resourceVersion: "1" } } },
      metadata,
    };
    expect(decide(withRv, state)[0]?.data.precondition).toEqual({ type: "ExpectedResourceVersion", resourceVersion: "1" });
    const without: Command = { type: CommandType.UpdateObjectStatus, data: { ref: cmRef("shop", "a"), object: {} }, metadata };
    expect(decide(without, state)[0]).toMatchObject({ type: "ObjectStatusUpdated", data: { precondition: { type: "None" } } });
  });

  it("keeps an explicit precondition and defaults deletes to none", () => {
    const del: Command = { type: CommandType.DeleteObject, data: { ref: cmRef("shop", "a") }, metadata };
    expect(decide(del, state)).toEqual([{ type: "ObjectDeleted", data: { ref: cmRef("shop", "a"), precondition: { type: "None" } }, metadata }]);
    const guarded: Command = {
      type: CommandType.DeleteObject,
      data: { ref: cmRef("shop", "a"), precondition: { type: "ExpectedResourceVersion", resourceVersion: "5" } },
      metadata,
    };
    expect(thrown(() => decide(guarded, state)).code).toBe("Conflict");
  });

  it("emits events the fold then applies", () => {
    const cmd: Command = { type: CommandType.CreateObject, data: { ref: cmRef("shop", "b"), object: { data: {} } }, metadata };
    const [event] = decide(cmd, state);
    if (!event) throw new Error("no event");
    const next = evolve(state, event, { offset: "2" });
    expect(getOutcome(next, "c-1")).toMatchObject({ status: "applied" });
  });
});
