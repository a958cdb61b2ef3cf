import { describe, expect, it } from "vitest";
import { ErrorCode, FederationError } from "@kubefed/events";
import type { LogRecord, TailSource } from "@kubefed/kafka";
import { Follower, byEvent, foldToEnd, type FollowerOptions, type Step } from "./follower.ts";
import { MemoryLog } from "./testing.ts";

/** Events of the test log: `{"id": ..., "n": ...}`; "poison" never decodes, "retry" fails once, retryably. */
interface Ev {
  id: string;
  n: number;
}

function decoder() {
  const failedOnce = new Set<string>();
  return (r: LogRecord): Ev => {
    const text = r.value.toString();
    if (text === "poison") throw new FederationError(ErrorCode.PoisonEvent, "not an event");
    if (text === "garbage") throw new SyntaxError("unexpected token");
    if (text.startsWith("retry:")) {
      if (!failedOnce.has(r.offset)) {
        failedOnce.add(r.offset);
        throw new FederationError(ErrorCode.KeyNotFound, "key k1 not in the keyring");
      }
      return JSON.parse(text.slice("retry:".length)) as Ev;
    }
    return JSON.parse(text) as Ev;
  };
}

const ev = (id: string, n: number) => JSON.stringify({ id, n });

/** A follower summing `n` into a list of the ids folded (immutable state), settling each id with its running sum. */
function follower(
  log: MemoryLog,
  extra: Partial<
    FollowerOptions<{ ids: string[]; sum: number }, Ev, Step<{ ids: string[]; sum: number }, Ev>[], number>
  > = {},
) {
  const skipped: { offset: string; code: string }[] = [];
  const f = new Follower({
    source: log,
    topic: "t",
    initial: { ids: [] as string[], sum: 0 },
    decode: decoder(),
    fold: byEvent((s: { ids: string[]; sum: number }, e: Ev) => ({ ids: [...s.ids, e.id], sum: s.sum + e.n })),
    settled: (steps) => steps.map((s) => [s.event.id, s.after.sum] as const),
    onSkipped: (offset, err) => skipped.push({ offset, code: err.code }),
    ...extra,
  });
  return { f, skipped };
}

describe("Follower", () => {
  it("folds the log in order and resolves start once caught up with the end it had", async () => {
    const log = new MemoryLog();
    log.append(ev("a", 1), ev("b", 2), ev("c", 3));
    const { f } = follower(log);
    await f.start();
    expect(f.state).toEqual({ ids: ["a", "b", "c"], sum: 6 });
    expect(f.next).toBe(3n);
    log.append(ev("d", 4));
    await f.waitFor(4n);
    expect(f.state.ids).toEqual(["a", "b", "c", "d"]);
    await f.stop();
  });

  it("resolves a wait for an offset after the record is folded, and at once for one already folded", async () => {
    const log = new MemoryLog();
    const { f } = follower(log);
    await f.start();
    const seen: number[] = [];
    const waited = f.waitFor(2n).then(() => seen.push(f.state.sum));
    log.append(ev("a", 1));
    await f.waitFor(1n);
    log.append(ev("b", 10));
    await waited;
    expect(seen).toEqual([11]);
    await expect(f.waitFor(1n)).resolves.toBeUndefined();
    await f.stop();
  });

  it("resolves a wait for an event id with what the fold settled for it, registered before the append", async () => {
    const log = new MemoryLog();
    const { f } = follower(log);
    await f.start();
    const b = f.expect("b");
    log.append(ev("a", 5), ev("b", 7));
    await expect(b).resolves.toBe(12);
    // A forgotten id is not settled: a later wait for the same id sees only its own event.
    f.expect("c").catch(() => undefined);
    f.forget("c");
    const c = f.expect("c");
    log.append(ev("c", 1));
    await expect(c).resolves.toBe(13);
    await f.stop();
  });

  it("rejects waits still pending when stopped, and new ones after", async () => {
    const log = new MemoryLog();
    const { f } = follower(log);
    await f.start();
    const byOffset = f.waitFor(5n);
    const byId = f.expect("x");
    await f.stop();
    await expect(byOffset).rejects.toMatchObject({ code: ErrorCode.Unavailable });
    await expect(byId).rejects.toMatchObject({ code: ErrorCode.Unavailable });
    await expect(f.waitFor(6n)).rejects.toMatchObject({ code: ErrorCode.Unavailable });
  });

  it("rejects a wait that is not settled within its timeout, and still resolves other waits later", async () => {
    const log = new MemoryLog();
    const { f } = follower(log);
    await f.start();
    await expect(f.waitFor(1n, { timeoutMs: 20 })).rejects.toMatchObject({ code: ErrorCode.Timeout });
    await expect(f.expect("a", { timeoutMs: 20 })).rejects.toMatchObject({ code: ErrorCode.Timeout });
    const later = f.waitFor(1n, { timeoutMs: 10_000 });
    log.append(ev("a", 1));
    await expect(later).resolves.toBeUndefined();
    await f.stop();
  });

  it("tells subscribers what each batch changed and the offset it read through, until they unsubscribe", async () => {
    const log = new MemoryLog();
    const { f } = follower(log);
    await f.start();
    const told: { ids: string[]; through: bigint }[] = [];
    const unsubscribe = f.subscribe((steps, through) => told.push({ ids: steps.map((s) => s.event.id), through }));
    log.append(ev("a", 1), ev("b", 1));
    await f.waitFor(2n);
    unsubscribe();
    log.append(ev("c", 1));
    await f.waitFor(3n);
    expect(told).toEqual([{ ids: ["a", "b"], through: 1n }]);
    await f.stop();
  });

  it("skips, counts and reports a record that can never be decoded, and moves past it", async () => {
    const log = new MemoryLog();
    log.append(ev("a", 1), "poison", "garbage");
    const { f, skipped } = follower(log);
    // Caught up even though the last records are not events.
    await f.start();
    expect(f.next).toBe(3n);
    const told: bigint[] = [];
    f.subscribe((_, through) => told.push(through));
    log.append(ev("b", 2));
    await f.waitFor(4n);
    expect(f.state).toEqual({ ids: ["a", "b"], sum: 3 });
    expect(f.skipped).toBe(2);
    expect(skipped).toEqual([
      { offset: "1", code: ErrorCode.PoisonEvent },
      { offset: "2", code: ErrorCode.PoisonEvent },
    ]);
    expect(told).toEqual([3n]);
    await f.stop();
  });

  it("folds what precedes a record failing retryably, and that record once it decodes, each once", async () => {
    const log = new MemoryLog();
    log.append(ev("a", 1), `retry:${ev("b", 2)}`, ev("c", 3));
    const { f, skipped } = follower(log);
    await f.start();
    expect(f.state).toEqual({ ids: ["a", "b", "c"], sum: 6 });
    expect(skipped).toEqual([]);
    await f.stop();
  });

  it("folds an own record ahead of the tail only when it is the next one, and does not fold it again", async () => {
    const log = new MemoryLog();
    log.append(ev("a", 1));
    const { f } = follower(log);
    await f.start();
    log.records.push({ ...log.record(0), offset: "1", value: Buffer.from(ev("b", 2)) });
    const ahead = { ...log.record(0), offset: "2", value: Buffer.from(ev("x", 100)) };
    expect(f.foldOwn(ahead)).toBe(false);
    expect(f.foldOwn(log.record(1))).toBe(true);
    expect(f.state).toEqual({ ids: ["a", "b"], sum: 3 });
    log.append(ev("c", 3));
    await f.waitFor(3n);
    expect(f.state).toEqual({ ids: ["a", "b", "c"], sum: 6 });
    await f.stop();
  });
});

describe("foldToEnd", () => {
  it("folds the log to the end it had when called and stops", async () => {
    const log = new MemoryLog();
    log.append(ev("a", 1), "poison", ev("b", 2));
    const skipped: string[] = [];
    const opts = {
      source: log,
      topic: "t",
      initial: [] as string[],
      decode: decoder(),
      fold: (ids: string[], batch: readonly { event: Ev }[]) => ({
        state: [...ids, ...batch.map((p) => p.event.id)],
        changes: undefined,
      }),
      onSkipped: (offset: string) => skipped.push(offset),
    };
    const appendDuringRead: TailSource = {
      endOffsetOfOnlyPartition: () => log.endOffsetOfOnlyPartition(),
      tail: async (t) => {
        const tail = await log.tail(t);
        log.append(ev("late", 9));
        return tail;
      },
    };
    await expect(foldToEnd({ ...opts, source: appendDuringRead })).resolves.toEqual(["a", "b"]);
    expect(skipped).toEqual(["1"]);
    await expect(foldToEnd({ ...opts, source: new MemoryLog() })).resolves.toEqual([]);
  });
});
