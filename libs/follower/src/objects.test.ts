import { describe, expect, it } from "vitest";
import { encodeEvent, EventType, PreconditionType, type FederationEvent, type ObjectRef } from "@kubefed/events";
import { followObjects, outcomeOf, type ObjectsStep } from "./objects.ts";
import { MemoryLog } from "./testing.ts";

const ns: ObjectRef = { group: "", version: "v1", kind: "Namespace", namespace: null, name: "shop" };
const cm: ObjectRef = { group: "", version: "v1", kind: "ConfigMap", namespace: "shop", name: "a" };
const metadata = (eventId: string) => ({
  eventId,
  time: "2024-05-01T10:00:00Z",
  actor: { user: "alice", groups: [] },
  requestId: `req-${eventId}`,
});
const create = (eventId: string, ref: ObjectRef): FederationEvent => ({
  type: EventType.ObjectCreated,
  data: { ref, precondition: { type: PreconditionType.MustNotExist }, object: {} },
  metadata: metadata(eventId),
});
const remove = (eventId: string, ref: ObjectRef): FederationEvent => ({
  type: EventType.ObjectDeleted,
  data: { ref, precondition: { type: PreconditionType.None } },
  metadata: metadata(eventId),
});

describe("followObjects", () => {
  it("settles each write's wait with the fold's verdict and tells subscribers the keys each applied event changed", async () => {
    const log = new MemoryLog();
    const skipped: string[] = [];
    const f = followObjects({
      source: log,
      topic: "t",
      keyring: undefined,
      onSkipped: (offset) => skipped.push(offset),
    });
    await f.start();
    const steps: ObjectsStep[] = [];
    f.subscribe((batch) => steps.push(...batch));
    const first = f.expect("e1");
    const again = f.expect("e2");
    const cascade = f.expect("e4");
    log.append(
      encodeEvent(create("e1", ns)),
      encodeEvent(create("e2", ns)),
      "not an event",
      encodeEvent(create("e3", cm)),
      encodeEvent(remove("e4", ns)),
    );
    await expect(first).resolves.toMatchObject({ status: "applied", offset: "0", changedKeys: ["/Namespace//shop"] });
    await expect(again).resolves.toMatchObject({ status: "rejected", reason: "AlreadyExists", offset: "1" });
    await expect(cascade).resolves.toMatchObject({ status: "applied", offset: "4" });
    await f.waitFor(5n);
    expect(skipped).toEqual(["2"]);
    expect(steps.map((s) => [s.offset, outcomeOf(s)?.status])).toEqual([
      ["0", "applied"],
      ["1", "rejected"],
      ["3", "applied"],
      ["4", "applied"],
    ]);
    expect([...(outcomeOf(steps[3]!) as { changedKeys: readonly string[] }).changedKeys].sort()).toEqual([
      "/ConfigMap/shop/a",
      "/Namespace//shop",
    ]);
    expect(f.state.lastOffset).toBe("4");
    await f.stop();
  });
});
