import { describe, expect, it } from "vitest";
import type { ClusterHealthReport, StatusReport } from "@kubefed/events";
import { createLogger } from "@kubefed/logging";
import { Health } from "./health.ts";
import type { Member } from "./member.ts";

const logger = createLogger({ service: "propagator", level: "silent" });

/** Health of a member whose /readyz answers as `answers` says, probe after probe. */
function setup(answers: boolean[], opts: { paused?: () => boolean; lose?: boolean } = {}) {
  const reports: ClusterHealthReport[] = [];
  let recovered = 0;
  const member = {
    ready: async () =>
      (answers.shift() ?? true) ? { ok: true, message: "/readyz ok" } : { ok: false, message: "connection refused" },
    topology: async () => ({ region: "eu", zones: ["eu-a"] }),
  } as unknown as Member;
  let lose = opts.lose ?? false;
  const health = new Health({
    cluster: "m1",
    worker: "w",
    logger,
    publish: (r: StatusReport, onLost) => {
      if (r.type === "ClusterHealth") reports.push(r);
      if (lose) {
        lose = false;
        onLost();
      }
    },
    probeIntervalMs: 60_000,
    failuresToOffline: 3,
    successesToReady: 2,
    member: () => member,
    problem: () => undefined,
    paused: opts.paused ?? (() => false),
    recovered: () => void recovered++,
  });
  return { health, reports, recovered: () => recovered };
}

const states = (reports: ClusterHealthReport[]) => reports.map((r) => [r.ready, r.reason]);

describe("a member's health", () => {
  it("publishes the first probe's state at once, with the member's topology", async () => {
    const { health, reports } = setup([true]);
    await health.probe();
    expect(health.ready).toBe(true);
    expect(reports).toMatchObject([{ ready: true, reason: "ClusterReady", region: "eu", zones: ["eu-a"] }]);
  });

  it("goes Offline after N failures in a row and Ready again after M successes, a single probe changing nothing", async () => {
    const { health, reports, recovered } = setup([true, false, true, false, false, false, true, false, true, true]);
    for (let i = 0; i < 10; i++) await health.probe();
    expect(states(reports)).toEqual([
      [true, "ClusterReady"],
      [false, "ClusterNotReachable"],
      [true, "ClusterReady"],
    ]);
    expect(recovered()).toBe(1); // back from Offline: the cursor resumes and the member is resynced
  });

  it("publishes the state again at the next probe when its report was lost", async () => {
    const { health, reports } = setup([true, true], { lose: true });
    await health.probe();
    await health.probe();
    expect(states(reports)).toEqual([
      [true, "ClusterReady"],
      [true, "ClusterReady"],
    ]);
  });

  it("resumes a cursor paused on a request the member did not answer once a probe passes", async () => {
    const { health, recovered } = setup([true, true], { paused: () => true });
    await health.probe();
    expect(recovered()).toBe(1); // the first state, published while paused, counts as coming back
    await health.probe();
    expect(recovered()).toBe(2);
  });

  it("is Offline, not configured, without an endpoint", async () => {
    const reports: ClusterHealthReport[] = [];
    const health = new Health({
      cluster: "m1",
      worker: "w",
      logger,
      publish: (r) => void (r.type === "ClusterHealth" && reports.push(r)),
      probeIntervalMs: 60_000,
      failuresToOffline: 3,
      successesToReady: 2,
      member: () => undefined,
      problem: () => "the Cluster has no spec.serverAddressByClientCIDRs[].serverAddress",
      paused: () => false,
      recovered: () => undefined,
    });
    await health.probe();
    expect(reports).toMatchObject([
      {
        ready: false,
        reason: "ClusterNotConfigured",
        message: "the Cluster has no spec.serverAddressByClientCIDRs[].serverAddress",
      },
    ]);
  });
});
