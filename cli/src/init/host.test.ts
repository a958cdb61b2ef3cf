import { describe, expect, it } from "vitest";
import type { V1PersistentVolume } from "@kubernetes/client-node";
import { quantityBytes, reservedVolume } from "./host.ts";
import { planInit, type InitOptions } from "./options.ts";

const plan = (o: Partial<InitOptions> = {}) =>
  planInit(
    {
      name: "fed",
      hostClusterContext: "h",
      apiserverEnableBasicAuth: false,
      apiserverEnableTokenAuth: true,
      apiServerServiceType: "LoadBalancer",
      kafkaPersistentStorage: true,
      kafkaPvCapacity: "10Gi",
      image: "i",
      kafkaImage: "k",
      dryRun: false,
      wait: true,
      timeout: 1,
      ...o,
    },
    () => "",
  );

const pv = (spec: Partial<NonNullable<V1PersistentVolume["spec"]>>, phase = "Available"): V1PersistentVolume => ({
  metadata: { name: "pv-1" },
  spec: {
    capacity: { storage: "20Gi" },
    accessModes: ["ReadWriteOnce"],
    claimRef: { namespace: "federation-system", name: "fed-federation-kafka-claim" },
    ...spec,
  },
  status: { phase },
});

describe("quantityBytes", () => {
  it("reads binary and decimal suffixes", () => {
    expect(quantityBytes("10Gi")).toBe(10 * 2 ** 30);
    expect(quantityBytes("500M")).toBe(5e8);
    expect(quantityBytes("1024")).toBe(1024);
    expect(quantityBytes("lots")).toBeNaN();
  });
});

describe("reservedVolume", () => {
  it("takes the volume whose claimRef names the claim, with its storage class", () => {
    expect(
      reservedVolume(plan(), [pv({ claimRef: { namespace: "x", name: "y" } }), pv({ storageClassName: "local" })]),
    ).toEqual({
      name: "pv-1",
      storageClass: "local",
    });
    expect(reservedVolume(plan(), [pv({})])).toEqual({ name: "pv-1", storageClass: "" });
  });

  it("finds none without one, with --kafka-brokers, or without persistent storage", () => {
    expect(
      reservedVolume(plan(), [pv({ claimRef: { namespace: "federation-system", name: "other" } })]),
    ).toBeUndefined();
    expect(reservedVolume(plan({ kafkaBrokers: "k:1" }), [pv({})])).toBeUndefined();
    expect(reservedVolume(plan({ kafkaPersistentStorage: false }), [pv({})])).toBeUndefined();
  });

  it("refuses one that cannot serve the claim", () => {
    expect(() => reservedVolume(plan(), [pv({ capacity: { storage: "2Gi" } })])).toThrow(
      /holds 2Gi, less than --kafka-pv-capacity 10Gi/,
    );
    expect(() => reservedVolume(plan(), [pv({ accessModes: ["ReadOnlyMany"] })])).toThrow(
      /does not offer ReadWriteOnce/,
    );
    expect(() => reservedVolume(plan(), [pv({}, "Released")])).toThrow(/is Released, not Available/);
    expect(() => reservedVolume(plan({ kafkaPvStorageClass: "fast" }), [pv({ storageClassName: "slow" })])).toThrow(
      /has storage class "slow", not --kafka-pv-storage-class fast/,
    );
  });
});
