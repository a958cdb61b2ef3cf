import { describe, expect, it } from "vitest";
import { Partitioners, type PartitionerArgs } from "kafkajs";
import { byKeyUnlessSingle } from "./partitioner.ts";

const args = (partitions: number[], key: string): PartitionerArgs => ({
  topic: "t",
  partitionMetadata: partitions.map((partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  })),
  message: { key, value: "v" },
});

describe("the appender's partitioner", () => {
  it("puts every key of a one-partition topic in that partition without hashing", () => {
    const p = byKeyUnlessSingle();
    for (const key of ["a", "east|apps/Deployment/shop/web", ""]) expect(p(args([0], key))).toBe(0);
  });

  it("keeps a partition the message names", () => {
    const p = byKeyUnlessSingle();
    expect(p({ ...args([0], "a"), message: { key: "a", value: "v", partition: 5 } })).toBe(5);
  });

  it("places keys as Kafka's own key hashing does when there are several partitions", () => {
    const p = byKeyUnlessSingle();
    const reference = Partitioners.DefaultPartitioner();
    const keys = Array.from({ length: 50 }, (_, i) => `key-${i}`);
    const placed = keys.map((k) => p(args([0, 1, 2, 3], k)));
    expect(placed).toEqual(keys.map((k) => reference(args([0, 1, 2, 3], k))));
    expect(new Set(placed).size).toBe(4);
  });
});
