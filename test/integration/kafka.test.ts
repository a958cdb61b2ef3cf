import { afterAll, describe, expect, it } from "vitest";
import { KafkaClient, type LogRecord } from "@kubefed/kafka";
import { env, uniqueName } from "./helpers.ts";

describe("Kafka broker (KRaft) of the local environment", () => {
  const kafka = new KafkaClient({ brokers: [env().kafka.bootstrap], clientId: "foundation-test" });
  afterAll(() => kafka.close());

  it("answers metadata as a single-node cluster", async () => {
    expect(await kafka.ping()).toEqual({ brokers: 1, controller: 1 });
  });

  it("keeps produced messages in order and replays them to a consumer from the beginning", async () => {
    const topic = uniqueName("foundation");
    await kafka.ensureTopics([{ name: topic, partitions: 1, replicationFactor: 1, config: { "retention.ms": "-1" } }]);
    expect(await kafka.listTopics()).toContain(topic);

    const appender = await kafka.appender();
    const written = await appender.append(
      topic,
      [1, 2, 3].map((i) => ({ key: `k${i}`, value: Buffer.from(`v${i}`), headers: { n: String(i) } })),
    );
    await appender.close();
    expect(written.map((w) => w.offset)).toEqual(["0", "1", "2"]);
    expect(await kafka.endOffsets(topic)).toEqual([{ partition: 0, offset: "3" }]);

    const seen: LogRecord[] = [];
    let done!: () => void;
    const all = new Promise<void>((r) => (done = r));
    const tail = await kafka.tail({
      topic,
      from: "earliest",
      onBatch: async (records) => {
        seen.push(...records);
        if (seen.length >= 3) done();
      },
    });
    await all;
    await tail.stop();
    expect(seen.map((r) => [r.offset, r.key?.toString(), r.value.toString(), r.headers.n?.toString()])).toEqual([
      ["0", "k1", "v1", "1"],
      ["1", "k2", "v2", "2"],
      ["2", "k3", "v3", "3"],
    ]);
  });
});
