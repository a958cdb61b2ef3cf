/** Reads the objects log from its start to its current end, for history: the log is the audit trail. */
import { decodeEvent, type FederationEvent, type Keyring } from "@kubefed/events";
import type { KafkaClient } from "@kubefed/kafka";

export async function readLog(kafka: KafkaClient, topic: string, keyring: Keyring | undefined, keep: (e: FederationEvent) => boolean): Promise<{ event: FederationEvent; offset: string }[]> {
  const last = (await kafka.endOffsetOfOnlyPartition(topic)) - 1n;
  if (last < 0n) return [];
  const out: { event: FederationEvent; offset: string }[] = [];
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const tail = await kafka.tail({
    topic,
    from: "earliest",
    onBatch: async (records) => {
      for (const r of records) {
        if (BigInt(r.offset) > last) continue;
        try {
          const event = decodeEvent({ value: r.value, headers: r.headers }, { keyring });
          if (keep(event)) out.push({ event, offset: r.offset });
        } catch {
          // A poison event is skipped here exactly as the read model skips it.
        }
      }
      if (BigInt(records.at(-1)!.offset) >= last) done();
    },
  });
  try {
    await finished;
  } finally {
    await tail.stop();
  }
  return out;
}
