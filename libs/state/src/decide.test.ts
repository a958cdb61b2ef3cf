// Given/when/then for the command side, on hand-built histories and on the recorded shop log: decide must refuse
// exactly what the fold rejects, with the fold's reason and message, and nothing the fold would apply.
import { describe, expect, it } from "vitest";
import { ErrorCode, EventType, FederationError, type EventMetadata, type FederationEvent } from "@kubefed/events";
import recorded from "./fixtures/shop.log.json" with { type: "json" };
import { cmRef, created, deployRef, nsRef, rv } from "./testing/builders.ts";
import { commandSpec } from "./testing/decider-spec.ts";
import { CommandType, decide, evolve, getOutcome, initialState, rejectionOf, type Command } from "./index.ts";

const spec = commandSpec();
const metadata: EventMetadata = {
  eventId: "c-1",
  time: "2024-01-01T00:00:00Z",
  actor: { user: "u", groups: [] },
  requestId: "r",
};
// ConfigMap shop/a is at resourceVersion 1.
const shop = [created(nsRef("shop")), created(cmRef("shop", "a"), { data: { k: "v" } })];

describe("decide", () => {
  it("creates with a must-not-exist precondition", () => {
    spec
      .given(shop)
      .when({
        type: CommandType.CreateObject,
        data: { ref: cmRef("shop", "b"), object: {}, fieldManager: "kubectl" },
        metadata,
      })
      .thenEvents([
        {
          type: "ObjectCreated",
          data: {
            ref: cmRef("shop", "b"),
            object: {},
            fieldManager: "kubectl",
            precondition: { type: "MustNotExist" },
          },
          metadata,
        },
      ]);
  });

  it("refuses a create of an existing name, or into a missing namespace", () => {
    spec
      .given(shop)
      .when({ type: CommandType.CreateObject, data: { ref: cmRef("shop", "a"), object: {} }, metadata })
      .thenRefused("AlreadyExists", 'ConfigMap "a" already exists');
    spec
      .given(shop)
      .when({ type: CommandType.CreateObject, data: { ref: cmRef("nope", "a"), object: {} }, metadata })
      .thenRefused("NotFound", 'namespaces "nope" not found');
  });

  it("accepts a create into the implicit default namespace from the first event on", () => {
    spec
      .given([])
      .when({ type: CommandType.CreateObject, data: { ref: cmRef("default", "a"), object: {} }, metadata })
      .thenAppliedByTheFold();
  });

  it("refuses an update with a stale resourceVersion, and one of a missing object", () => {
    const stale: Command = {
      type: CommandType.UpdateObject,
      data: { ref: cmRef("shop", "a"), object: { metadata: { resourceVersion: "0" } } },
      metadata,
    };
    spec
      .given(shop)
      .when(stale)
      .thenRefused(
        "Conflict",
        'Operation cannot be fulfilled on ConfigMap "a": the object has been modified; please apply your changes to the latest version and try again',
      );
    spec
      .given(shop)
      .when({ type: CommandType.UpdateObject, data: { ref: cmRef("shop", "zz"), object: {} }, metadata })
      .thenRefused("NotFound", 'ConfigMap "zz" not found');
  });

  it("takes an update's precondition from metadata.resourceVersion, else the version it saw", () => {
    const withRv: Command = {
      type: CommandType.UpdateObject,
      data: { ref: cmRef("shop", "a"), object: { metadata: { resourceVersion: "1" } } },
      metadata,
    };
    spec
      .given(shop)
      .when(withRv)
      .thenEvents([
        {
          type: "ObjectUpdated",
          data: { ref: cmRef("shop", "a"), object: { metadata: { resourceVersion: "1" } }, precondition: rv("1") },
          metadata,
        },
      ]);
    const blank: Command = {
      type: CommandType.UpdateObjectStatus,
      data: { ref: cmRef("shop", "a"), object: { metadata: { resourceVersion: "" } } },
      metadata,
    };
    spec
      .given(shop)
      .when(blank)
      .thenEvents([
        {
          type: "ObjectStatusUpdated",
          data: { ref: cmRef("shop", "a"), object: { metadata: { resourceVersion: "" } }, precondition: rv("1") },
          metadata,
        },
      ]);
  });

  it("deletes the version it saw unless told otherwise, and refuses a failed precondition", () => {
    spec
      .given(shop)
      .when({ type: CommandType.DeleteObject, data: { ref: cmRef("shop", "a") }, metadata })
      .thenEvents([{ type: "ObjectDeleted", data: { ref: cmRef("shop", "a"), precondition: rv("1") }, metadata }]);
    spec
      .given(shop)
      .when({ type: CommandType.DeleteObject, data: { ref: cmRef("shop", "a"), precondition: rv("5") }, metadata })
      .thenRefused("Conflict");
    spec
      .given(shop)
      .when({ type: CommandType.DeleteObject, data: { ref: cmRef("shop", "zz") }, metadata })
      .thenRefused("NotFound", 'ConfigMap "zz" not found');
  });

  it("refuses deleting the default namespace, object or not, as the fold does", () => {
    spec
      .given(shop)
      .when({ type: CommandType.DeleteObject, data: { ref: nsRef("default") }, metadata })
      .thenRefused("Forbidden", 'namespaces "default" is forbidden: this namespace may not be deleted');
    spec
      .given([created(nsRef("default"))])
      .when({ type: CommandType.DeleteObject, data: { ref: nsRef("default") }, metadata })
      .thenRefused("Forbidden");
  });

  it("emits events the fold applies, whose outcome the waiting request reads", () => {
    const next = spec
      .given(shop)
      .when({ type: CommandType.CreateObject, data: { ref: deployRef("shop", "web"), object: { spec: {} } }, metadata })
      .thenAppliedByTheFold();
    expect(getOutcome(next, "c-1")).toMatchObject({ status: "applied", key: "apps/Deployment/shop/web" });
  });

  it("throws refusals that rejectionOf reads back, and reads nothing else as one", () => {
    const { state } = spec.given(shop);
    let refusal: unknown;
    try {
      decide({ type: CommandType.CreateObject, data: { ref: cmRef("shop", "a"), object: {} }, metadata }, state);
    } catch (e) {
      refusal = e;
    }
    expect(refusal).toBeInstanceOf(FederationError);
    expect(rejectionOf(refusal)).toEqual({ reason: "AlreadyExists", message: 'ConfigMap "a" already exists' });
    expect(rejectionOf(new Error("AlreadyExists"))).toBeUndefined();
    expect(rejectionOf(new FederationError(ErrorCode.Unavailable, "the log is down"))).toBeUndefined();
  });
});

interface LoggedEvent {
  readonly offset: string;
  readonly event: FederationEvent;
}

/** The command a recorded event answered, with its precondition as recorded (creates always must-not-exist). */
function commandOf(event: FederationEvent): Command {
  const { metadata } = event;
  switch (event.type) {
    case EventType.ObjectCreated: {
      const { precondition: _p, ...data } = event.data;
      return { type: CommandType.CreateObject, data, metadata };
    }
    case EventType.ObjectUpdated:
      return { type: CommandType.UpdateObject, data: event.data, metadata };
    case EventType.ObjectStatusUpdated:
      return { type: CommandType.UpdateObjectStatus, data: event.data, metadata };
    case EventType.ObjectDeleted:
      return { type: CommandType.DeleteObject, data: event.data, metadata };
    default: {
      const never: never = event;
      throw new Error(`unknown event ${(never as { type: string }).type}`);
    }
  }
}

describe("decide on the recorded shop log", () => {
  const log = recorded.events as unknown as readonly LoggedEvent[];
  let state = initialState();
  const cases = log.map(({ offset, event }) => {
    const before = state;
    state = evolve(state, event, { offset });
    return { offset, event, before, outcome: getOutcome(state, event.metadata.eventId) };
  });

  it.each(
    cases.map((c) => [`${c.offset} ${c.event.type} ${c.event.data.ref.kind} ${c.event.data.ref.name}`, c] as const),
  )("%s: refused early exactly when the fold rejects it", (_name, c) => {
    const then = spec.given(c.before).when(commandOf(c.event));
    if (c.outcome?.status === "rejected") then.thenRefused(c.outcome.reason, c.outcome.message);
    else then.thenAppliedByTheFold();
  });

  it("covers every kind of verdict the log records", () => {
    expect(
      new Set(cases.map((c) => (c.outcome?.status === "rejected" ? c.outcome.reason : c.outcome?.status))),
    ).toEqual(new Set(["applied", "NotFound", "Conflict", "AlreadyExists", "Forbidden"]));
  });
});
