// Replays a recorded objects log (fixtures/shop.log.json) and compares with a hand-written expectation.
import { describe, expect, it } from "vitest";
import { Keyring, decodeEvent, encodeEvent, type FederationEvent, type KubeObject } from "@kubefed/events";
import recorded from "./fixtures/shop.log.json" with { type: "json" };
import expected from "./fixtures/shop.expected.json" with { type: "json" };
import {
  fold,
  getObject,
  getOutcome,
  keysInOrder,
  objectIn,
  resourceVersionOf,
  type FederationState,
  type Position,
} from "./index.ts";

interface LoggedEvent {
  readonly offset: string;
  readonly event: FederationEvent;
}
const log = recorded.events as unknown as readonly LoggedEvent[];
const entries = (l: readonly LoggedEvent[]) =>
  l.map(({ offset, event }) => ({ event, position: { offset } as Position }));

/** The state as plain comparable data: objects by key, and a summary of each outcome. */
function project(state: FederationState) {
  const objects: Record<string, KubeObject> = {};
  for (const [kind, index] of Object.entries(state.kinds)) {
    for (const name of keysInOrder(index)) objects[`${kind}/${name}`] = objectIn(index, name) as KubeObject;
  }
  const outcomes = state.outcomeOrder.map((id) => {
    const o = getOutcome(state, id);
    if (!o) throw new Error(`outcome ${id} missing`);
    const { eventId, status, offset, key } = o;
    return o.status === "applied"
      ? { eventId, status, offset, key, objectResourceVersion: resourceVersionOf(o.object), changedKeys: o.changedKeys }
      : { eventId, status, offset, key, reason: o.reason, message: o.message };
  });
  return { lastOffset: state.lastOffset, objects, outcomes };
}

function expectDeepFrozen(value: unknown, path = "state"): void {
  if (typeof value !== "object" || value === null) return;
  expect(Object.isFrozen(value), `${path} is frozen`).toBe(true);
  for (const [k, v] of Object.entries(value)) expectDeepFrozen(v, `${path}.${k}`);
}

describe("recorded log: shop", () => {
  const final = fold(entries(log));

  it("folds to the expected final state", () => {
    const { deploymentAfterOffset10: _, comment: __, ...want } = expected;
    expect(project(final)).toEqual(want);
  });

  it("has the expected Deployment midway (generation, status and labels after a relabel)", () => {
    const midway = fold(entries(log.filter((e) => BigInt(e.offset) <= 10n)));
    const ref = { group: "apps", kind: "Deployment", namespace: "shop", name: "web" };
    expect(getObject(midway, ref)).toEqual(expected.deploymentAfterOffset10);
  });

  it("is deterministic: folding twice gives deep-equal, independent states", () => {
    const again = fold(entries(log));
    expect(again).toEqual(final);
    expect(again).not.toBe(final);
    expect(JSON.stringify(again)).toBe(JSON.stringify(final));
  });

  it("freezes the state deeply", () => {
    expectDeepFrozen(final);
    expect(() => {
      (final as { lastOffset: string | null }).lastOffset = "x";
    }).toThrow(TypeError);
  });

  it("is unaffected by redelivery of every event", () => {
    const twice = entries(log).flatMap((e) => [e, e]);
    expect(fold(twice)).toEqual(final);
  });

  it("gives the same state after a round trip through the Avro codec (Secret encrypted)", () => {
    const keyring = Keyring.fromKeys("k1", { k1: Buffer.alloc(32, 3) });
    const viaKafka = log.map(({ offset, event }) => ({
      offset,
      event: decodeEvent(encodeEvent(event, { keyring }), { keyring }),
    }));
    expect(fold(entries(viaKafka))).toEqual(final);
  });

  it("does not mutate the recorded events", () => {
    const before = JSON.stringify(recorded);
    fold(entries(log));
    expect(JSON.stringify(recorded)).toBe(before);
  });
});
