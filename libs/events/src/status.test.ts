import { describe, expect, it } from "vitest";
import {
  decodeStatus,
  encodeStatus,
  STATUS_SCHEMA_FINGERPRINT,
  StatusType,
  ObservedOutcome,
  type StatusReport,
} from "./status.ts";

const health: StatusReport = {
  type: StatusType.ClusterHealth,
  cluster: "east",
  time: "2026-11-24T20:00:00Z",
  worker: "h/1",
  ready: false,
  reason: "ClusterNotReachable",
  message: "connect ECONNREFUSED",
  region: "eu",
  zones: ["eu-a", "eu-b"],
};
const observed: StatusReport = {
  type: StatusType.ObjectObserved,
  cluster: "east",
  time: "2026-11-24T20:00:01Z",
  worker: "h/1",
  ref: { group: "apps", version: "v1", kind: "Deployment", namespace: "shop", name: "web" },
  generation: 3,
  resourceVersion: "42",
  outcome: ObservedOutcome.Applied,
  message: "updated",
  created: false,
  status: { replicas: 2, readyReplicas: 1 },
};

describe("status reports", () => {
  it("round-trip both types with latest-per-key message keys", () => {
    for (const r of [health, observed]) {
      const m = encodeStatus(r);
      expect(m.headers["kf-schema"]).toBe(STATUS_SCHEMA_FINGERPRINT);
      expect(decodeStatus({ value: m.value, headers: { "kf-schema": Buffer.from(m.headers["kf-schema"]!) } })).toEqual(
        r,
      );
    }
    expect(encodeStatus(health).key).toBe("east");
    expect(encodeStatus(observed).key).toBe("east|apps/Deployment/shop/web");
  });

  it("pins the schema fingerprint (a change needs a new version, not an edit)", () => {
    expect(STATUS_SCHEMA_FINGERPRINT).toMatchInlineSnapshot(
      `"c4b08713b94b600d398f7b676fc8f8e998680f5eb2bad276577f23ee47c5d4a0"`,
    );
  });

  it("refuses unknown schemas and corrupt values as poison", () => {
    const m = encodeStatus(observed);
    expect(() => decodeStatus({ value: m.value, headers: {} })).toThrow(/unknown schema/);
    expect(() => decodeStatus({ value: Buffer.from([1, 2, 3]), headers: m.headers })).toThrow(/corrupt status report/);
  });
});
