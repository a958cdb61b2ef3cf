import type { Batch, IHeaders } from "kafkajs";
import type { LogRecord } from "./types.ts";

/** A fetched batch as LogRecords: offsets as strings, headers as Buffers (the first value of a repeated one). */
export function recordsOf(batch: Batch): LogRecord[] {
  return batch.messages.map((m) => ({
    topic: batch.topic,
    partition: batch.partition,
    offset: m.offset,
    key: m.key,
    value: m.value ?? Buffer.alloc(0),
    headers: headersOf(m.headers),
    timestamp: m.timestamp,
  }));
}

function headersOf(h: IHeaders | undefined): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(h ?? {})) {
    if (v === undefined) continue;
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined) out[k] = Buffer.isBuffer(first) ? first : Buffer.from(first);
  }
  return out;
}
