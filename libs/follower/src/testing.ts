// For the tests of this package only (not exported).
import type { LogRecord, Tail, TailOptions, TailSource } from "@kubefed/kafka";

/**
 * An in-memory one-partition log behind the TailSource interface: a tail gets what is there, then every append, one
 * batch per delivery; a batch whose handler throws is delivered again from its first record, as the Kafka tail does.
 */
export class MemoryLog implements TailSource {
  readonly records: LogRecord[] = [];
  private readonly tails = new Set<() => void>();

  append(...values: (string | { value: Buffer; headers: Record<string, Buffer | string>; key?: string })[]): void {
    for (const v of values) {
      const { value, headers, key } =
        typeof v === "string" ? { value: Buffer.from(v), headers: {}, key: undefined } : v;
      const buffers = Object.fromEntries(
        Object.entries(headers).map(([k, h]) => [k, Buffer.isBuffer(h) ? h : Buffer.from(h)]),
      );
      this.records.push({
        topic: "t",
        partition: 0,
        offset: String(this.records.length),
        key: key === undefined ? null : Buffer.from(key),
        value,
        headers: buffers,
        timestamp: "0",
      });
    }
    for (const wake of this.tails) wake();
  }

  record(offset: number): LogRecord {
    return this.records[offset]!;
  }

  async endOffsetOfOnlyPartition(): Promise<bigint> {
    return BigInt(this.records.length);
  }

  async tail(opts: TailOptions): Promise<Tail> {
    let from = Array.isArray(opts.from) ? Number(opts.from[0]!.offset) : 0;
    let stopped = false;
    let busy = false;
    const wake = () => {
      if (busy || stopped || from >= this.records.length) return;
      busy = true;
      setImmediate(async () => {
        const batch = this.records.slice(from);
        try {
          await opts.onBatch(batch);
          from += batch.length;
        } catch {
          // Fetched again from the same record.
        }
        busy = false;
        wake();
      });
    };
    this.tails.add(wake);
    wake();
    return {
      stop: async () => {
        stopped = true;
        this.tails.delete(wake);
      },
    };
  }
}
