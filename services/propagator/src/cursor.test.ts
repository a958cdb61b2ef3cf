import { afterEach, describe, expect, it, vi } from "vitest";
import { ErrorCode, FederationError } from "@kubefed/events";
import type { GroupBatch, LogRecord } from "@kubefed/kafka";
import { createLogger } from "@kubefed/logging";
import { Cursor, type CursorOptions } from "./cursor.ts";
import type { RunResult } from "./retry.ts";

const logger = createLogger({ service: "propagator", level: "silent" });
const unreachable = () => new FederationError(ErrorCode.Unreachable, "no answer");

const record = (offset: number, key: string): LogRecord => ({
  topic: "f.objects",
  partition: 0,
  offset: String(offset),
  key: Buffer.from(key),
  value: Buffer.alloc(0),
  headers: {},
  timestamp: String(Date.now()),
});

/** A consumer's batch of records, recording what the cursor does with it. */
function batch(records: LogRecord[], seen: { commits: string[]; pauses: string[] }): GroupBatch {
  return {
    partition: 0,
    records,
    resolve: () => undefined,
    commit: async (r) => void seen.commits.push(r.offset),
    heartbeat: async () => undefined,
    isStale: () => false,
    pause: (from) => void seen.pauses.push(from.offset),
  };
}

/** Runs of each key that the test ends by hand, and a cursor over them. */
function setup(opts: Partial<CursorOptions> = {}) {
  const runs = new Map<string, ((r: RunResult) => void)[]>();
  const asked: string[] = [];
  const seen = { commits: [] as string[], pauses: [] as string[], probes: 0 };
  const cursor = new Cursor({
    logger,
    log: { nextOffset: 100n, waitFor: async () => undefined, changedAt: () => [] },
    reconcile: (key) => {
      asked.push(key);
      return new Promise<RunResult>((resolve) => runs.set(key, [...(runs.get(key) ?? []), resolve]));
    },
    queued: () => 0,
    offline: () => false,
    unreachable: () => void seen.probes++,
    hasCommitted: async () => true,
    commitIntervalMs: 0,
    ...opts,
  });
  /** Ends the oldest pending run of a key. */
  const end = (key: string, r: RunResult = null) => {
    const pending = runs.get(key) ?? [];
    const resolve = pending.shift();
    if (!resolve) throw new Error(`no run of ${key} is pending`);
    resolve(r);
  };
  const keys = ["/ConfigMap/ns/a", "/ConfigMap/ns/b", "/ConfigMap/ns/c", "/ConfigMap/ns/d"] as const;
  return { cursor, asked, seen, end, keys, b: (records: LogRecord[]) => batch(records, seen) };
}

afterEach(() => vi.useRealTimers());

describe("the cursor's commits", () => {
  it("moves only past batches whose keys are all done, in log order", async () => {
    const {
      cursor,
      seen,
      end,
      keys: [a, b, c],
      b: mk,
    } = setup();
    const done = new Set<string>();
    const commitsWithDone: string[][] = [];
    const track = (x: GroupBatch): GroupBatch => ({
      ...x,
      commit: async (r) => void (seen.commits.push(r.offset), commitsWithDone.push([...done].sort())),
    });
    await cursor.onBatch(track(mk([record(1, a), record(2, b)])));
    await cursor.onBatch(track(mk([record(3, c)])));
    // The later batch finishes first: nothing may be committed past the earlier one's unfinished key.
    for (const k of [c, a, b]) {
      end(k);
      done.add(k);
      await new Promise((r) => setImmediate(r));
    }
    await vi.waitFor(() => expect(seen.commits.at(-1)).toBe("3"));
    // Every commit came once all keys of its batch and of every earlier batch were done.
    expect(seen.commits).toEqual(["3"]);
    expect(commitsWithDone).toEqual([[a, b, c].sort()]);
  });

  it("commits an earlier batch that is done while a later one still runs, and the later one once it is done", async () => {
    const {
      cursor,
      seen,
      end,
      keys: [a, b],
      b: mk,
    } = setup();
    await cursor.onBatch(mk([record(1, a)]));
    await cursor.onBatch(mk([record(2, b)]));
    end(a);
    await vi.waitFor(() => expect(seen.commits).toEqual(["1"]));
    end(b);
    await vi.waitFor(() => expect(seen.commits).toEqual(["1", "2"]));
  });

  it("goes back before the oldest batch not committed when a key finds the member unreachable, and commits none of that epoch", async () => {
    const {
      cursor,
      seen,
      end,
      keys: [a, b, c],
      b: mk,
    } = setup();
    await cursor.onBatch(mk([record(1, a)]));
    await cursor.onBatch(mk([record(2, b)]));
    await cursor.onBatch(mk([record(3, c)]));
    end(a);
    await vi.waitFor(() => expect(seen.commits).toEqual(["1"]));
    end(c, unreachable());
    await vi.waitFor(() => expect(seen.pauses).toEqual(["2"]));
    expect(cursor.paused).toBe(true);
    expect(seen.probes).toBe(1);
    // Batch 2's run, of the epoch gone back from, ends: it neither commits nor moves the cursor again.
    end(b, unreachable());
    // The member is back: batch 2 is fetched again.
    cursor.resume();
    await cursor.onBatch(mk([record(2, b), record(3, c)]));
    end(b);
    end(c);
    await vi.waitFor(() => expect(seen.commits).toEqual(["1", "3"]));
    expect(seen.pauses).toEqual(["2"]);
    expect(seen.probes).toBe(1);
  });

  it("drops, on a new assignment, work in flight and commits not yet sent", async () => {
    vi.useFakeTimers();
    const {
      cursor,
      seen,
      end,
      keys: [a, b, c, d],
      b: mk,
    } = setup({ commitIntervalMs: 1000 });
    await cursor.onBatch(mk([record(1, a)]));
    await cursor.onBatch(mk([record(2, b)]));
    await cursor.onBatch(mk([record(3, c)]));
    end(a);
    await vi.waitFor(() => expect(seen.commits).toEqual(["1"]));
    // Batch 2 is done, but its commit waits out the interval after the first one.
    end(b);
    await vi.advanceTimersByTimeAsync(10);
    cursor.assigned([0], Promise.resolve({ seek: () => undefined }));
    await vi.advanceTimersByTimeAsync(2000);
    // Batch 3, of the old assignment, ends: it does not commit either.
    end(c);
    await cursor.onBatch(mk([record(4, d)]));
    end(d);
    await vi.advanceTimersByTimeAsync(2000);
    expect(seen.commits).toEqual(["1", "4"]);
  });

  it("positions a cursor without a committed offset where the projection stands, and skips what was fetched before", async () => {
    const {
      cursor,
      asked,
      seen,
      end,
      keys: [a, b],
      b: mk,
    } = setup({ hasCommitted: async () => false });
    const seeks: string[] = [];
    cursor.assigned([0], Promise.resolve({ seek: (_p, offset) => void seeks.push(offset) }));
    await cursor.ready;
    expect(seeks).toEqual(["100"]);
    await cursor.onBatch(mk([record(98, a), record(99, a)]));
    await cursor.onBatch(mk([record(99, a), record(100, b)]));
    expect(asked).toEqual([b]);
    end(b);
    await vi.waitFor(() => expect(seen.commits).toEqual(["100"]));
  });
});

describe("the fast path's runs, as the cursor claims them", () => {
  it("takes over a run asked for once the key's last record of the batch was folded, and reconciles again otherwise", async () => {
    const {
      cursor,
      asked,
      seen,
      end,
      keys: [a, b],
      b: mk,
    } = setup();
    cursor.folded([a, b, "federation/Cluster//m1"], 5n, true);
    expect(asked).toEqual([a, b]); // only propagated kinds
    // a's last record in the batch is 5 (covered); b's is 6, after the fold its run saw.
    await cursor.onBatch(mk([record(4, a), record(5, a), record(6, b)]));
    expect(asked).toEqual([a, b, b]);
    end(a);
    end(b);
    end(b);
    await vi.waitFor(() => expect(seen.commits).toEqual(["6"]));
  });

  it("is off while the member is not open to it, and while the queue is busy", () => {
    const {
      cursor,
      asked,
      keys: [a],
    } = setup({ queued: () => 64 });
    cursor.folded([a], 1n, true);
    expect(asked).toEqual([]);
    const open = setup();
    open.cursor.folded([a], 1n, false);
    expect(open.asked).toEqual([]);
  });

  it("does not let a run that found the member unreachable cover the batch", async () => {
    const {
      cursor,
      asked,
      seen,
      end,
      keys: [a],
      b: mk,
    } = setup();
    cursor.folded([a], 5n, true);
    end(a, unreachable());
    await new Promise((r) => setImmediate(r));
    await cursor.onBatch(mk([record(5, a)]));
    expect(asked).toEqual([a, a]);
    end(a);
    await vi.waitFor(() => expect(seen.commits).toEqual(["5"]));
  });

  it("drops the runs not yet claimed when the cursor goes back", async () => {
    const {
      cursor,
      asked,
      seen,
      end,
      keys: [a, b],
      b: mk,
    } = setup();
    await cursor.onBatch(mk([record(1, a)]));
    cursor.folded([b], 2n, true);
    end(a, unreachable());
    await vi.waitFor(() => expect(seen.pauses).toEqual(["1"]));
    cursor.resume();
    await cursor.onBatch(mk([record(1, a), record(2, b)]));
    expect(asked).toEqual([a, b, a, b]);
  });
});
