import { describe, expect, it } from "vitest";
import pino from "pino";
import { decide, evolve, getObject, initialState, type Command, type FederationState } from "@kubefed/state";
import type { FederationEvent, KubeObject } from "@kubefed/events";
import { schedulingOf } from "@kubefed/placement";
import type { ClusterHealth } from "@kubefed/status";
import { SchedulingRecorder } from "./scheduling.ts";

/** A small in-memory write path: decide on the state, fold the event at the next offset (our own interface). */
function writePath() {
  let state: FederationState = initialState();
  let offset = 0;
  const append = (events: FederationEvent[]) => {
    for (const e of events) state = evolve(state, e, { offset: String(offset++) });
  };
  append([
    {
      type: "ObjectCreated",
      data: {
        ref: { group: "federation", version: "v1beta1", kind: "Cluster", namespace: null, name: "m1" },
        precondition: { type: "MustNotExist" },
        object: { apiVersion: "federation/v1beta1", kind: "Cluster", metadata: { name: "m1" }, spec: {} },
      },
      metadata: { eventId: "e0", time: "2026-01-01T00:00:00Z", actor: { user: "u", groups: [] }, requestId: "r" },
    },
  ]);
  // Commands wait to be appended until `flush`, so two replicas can decide on the same version (a race).
  const pending: { c: Command; done: (e?: unknown) => void }[] = [];
  let refused = 0;
  return {
    state: () => state,
    appended: () => offset,
    refused: () => refused,
    handle: (c: Command): Promise<KubeObject> =>
      new Promise((resolve, reject) => pending.push({ c, done: (e) => (e ? reject(e) : resolve({})) })),
    flush: () => {
      for (const { c, done } of pending.splice(0)) {
        try {
          append(decide(c, state)); // Conflict: decided on a version the first decision replaced
          done();
        } catch (e) {
          refused++;
          done(e);
        }
      }
    },
  };
}

const logger = pino({ level: "silent" });
const health = (ready: boolean, transitionTime: string): ClusterHealth => ({
  ready,
  reason: "",
  message: "",
  region: null,
  zones: [],
  probeTime: transitionTime,
  transitionTime,
});
const cluster = (s: FederationState) =>
  schedulingOf(getObject(s, { group: "federation", kind: "Cluster", namespace: null, name: "m1" })!);

describe("SchedulingRecorder", () => {
  it("records an Offline cluster as unschedulable once, even when two replicas decide at the same time", async () => {
    const log = writePath();
    let h = health(false, new Date().toISOString());
    const replica = () =>
      new SchedulingRecorder({
        state: log.state,
        health: () => h,
        statusOffset: () => "5",
        commands: { handle: (c) => log.handle(c) },
        rule: { readmitAfterMs: 60_000, maxReadmitAfterMs: 60_000, windowMs: 600_000 },
        logger,
      });
    const [r1, r2] = [replica(), replica()];
    r1.review();
    r2.review();
    await new Promise((r) => setImmediate(r));
    log.flush();
    await Promise.all([r1.stop(), r2.stop()]);
    expect(log.refused()).toBe(1);
    expect(cluster(log.state())).toMatchObject({ schedulable: false, basedOn: "5" });
    expect(log.appended()).toBe(2); // the Cluster and one decision: the second replica's lost to the first
    h = health(true, new Date().toISOString());
    r1.review();
    await new Promise((r) => setImmediate(r));
    log.flush();
    await r1.stop();
    // Ready, but not for the damping period yet.
    expect(cluster(log.state())?.schedulable).toBe(false);
  });
});
