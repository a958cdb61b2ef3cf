import { CompressionTypes, type Producer } from "kafkajs";
import type { Appended, Appender, OutgoingMessage } from "./types.ts";

/**
 * Group commit: the idempotent producer has one request in flight, so appends that arrive meanwhile wait and
 * then go out together in the next request (their order kept). One round trip serves many writers.
 */
export function groupCommitAppender(producer: Producer): Appender {
  interface Pending {
    topic: string;
    messages: OutgoingMessage[];
    resolve: (a: Appended[]) => void;
    reject: (e: unknown) => void;
  }
  let queue: Pending[] = [];
  let sending = false;
  const pump = async () => {
    sending = true;
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      const byTopic = new Map<string, OutgoingMessage[]>();
      for (const p of batch) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), ...p.messages]);
      try {
        const res = await producer.sendBatch({
          acks: -1,
          compression: CompressionTypes.None,
          topicMessages: [...byTopic].map(([topic, messages]) => ({
            topic,
            messages: messages.map((m) => ({
              key: m.key,
              value: m.tombstone ? null : m.value,
              headers: m.headers,
              partition: m.partition,
            })),
          })),
        });
        // kafkajs reports the base offset per topic-partition; offsets inside a request are consecutive, in order.
        const next = new Map<string, bigint>();
        for (const r of res) next.set(`${r.topicName}/${r.partition}`, BigInt(r.baseOffset ?? r.offset ?? "0"));
        for (const p of batch) {
          const out: Appended[] = [];
          for (const m of p.messages) {
            const partition = m.partition ?? res.find((r) => r.topicName === p.topic)?.partition ?? 0;
            const k = `${p.topic}/${partition}`;
            const off = next.get(k) ?? 0n;
            next.set(k, off + 1n);
            out.push({ topic: p.topic, partition, offset: off.toString() });
          }
          p.resolve(out);
        }
      } catch (e) {
        for (const p of batch) p.reject(e);
      }
    }
    sending = false;
  };
  return {
    append(topic, messages) {
      return new Promise<Appended[]>((resolve, reject) => {
        queue.push({ topic, messages, resolve, reject });
        if (!sending) void pump();
      });
    },
    async close() {
      await producer.disconnect();
    },
  };
}
