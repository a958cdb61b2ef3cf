import { afterEach, describe, expect, it, vi } from "vitest";
import { ErrorCode, FederationError } from "@kubefed/events";
import { backoffDelay, KeyQueue, type RetryPolicy } from "./keyqueue.ts";
import { RECONCILE_BACKOFF_MS, RECONCILE_RETRIES, reachedMember } from "./retry.ts";

const tick = () => new Promise((r) => setTimeout(r, 5));

describe("KeyQueue", () => {
  it("never runs one key twice at once, and runs it once more when asked while running", async () => {
    const log: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const q = new KeyQueue(8, async (k) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      log.push(`start ${k}`);
      await tick();
      log.push(`end ${k}`);
      running--;
      return k;
    });
    const runs = [q.run("a"), q.run("a"), q.run("a")];
    expect(await Promise.all(runs)).toEqual(["a", "a", "a"]);
    // The second and third ask share the one re-run.
    expect(log).toEqual(["start a", "end a", "start a", "end a"]);
    expect(maxRunning).toBe(1);
    expect(q.size).toBe(0);
  });

  it("answers a key asked for while it runs with a run that starts after the ask (what the fast path relies on)", async () => {
    let runs = 0;
    const q = new KeyQueue(8, async () => {
      const mine = ++runs;
      await tick();
      return mine;
    });
    const first = q.run("a");
    await tick(); // the first run is under way
    const second = q.run("a");
    expect(await first).toBe(1);
    expect(await second).toBe(2);
  });

  it("bounds concurrency across keys", async () => {
    let running = 0;
    let maxRunning = 0;
    const q = new KeyQueue(3, async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await tick();
      running--;
    });
    await Promise.all(Array.from({ length: 20 }, (_, i) => q.run(`k${i}`)));
    expect(maxRunning).toBe(3);
  });

  it("keeps going after a failure of one run", async () => {
    let calls = 0;
    const q = new KeyQueue(1, async (k) => {
      calls++;
      if (calls === 1) throw new Error("boom");
      return k;
    });
    const first = q.run("x");
    const second = q.run("x");
    await expect(first).rejects.toThrow("boom");
    await expect(second).resolves.toBe("x");
    await expect(q.run("y")).resolves.toBe("y");
  });
});

describe("KeyQueue retries", () => {
  afterEach(() => vi.useRealTimers());
  type R = "ok" | "fail" | "untried";
  const policy: RetryPolicy<R> = {
    backoffMs: [100, 200, 400],
    failed: (r) => r === "fail",
    untried: (r) => r === "untried",
  };
  /** A queue whose runs of a key end as the script says, in turn, recording the fake clock at each run. */
  const scripted = (...results: R[]) => {
    const at: number[] = [];
    const start = Date.now();
    const q = new KeyQueue<R>(
      4,
      async () => {
        at.push(Date.now() - start);
        return results.shift() ?? "ok";
      },
      policy,
    );
    return { q, at };
  };

  it("retries a failed key after each delay in turn, the last one repeating, until a run succeeds", async () => {
    vi.useFakeTimers();
    const { q, at } = scripted("fail", "fail", "fail", "fail", "ok");
    await q.run("k");
    await vi.advanceTimersByTimeAsync(5000);
    expect(at).toEqual([0, 100, 300, 700, 1100]);
    expect(q.retrying).toBe(0);
  });

  it("starts the backoff over after a success", async () => {
    vi.useFakeTimers();
    const { q, at } = scripted("fail", "fail", "ok", "fail", "ok");
    await q.run("k");
    await vi.advanceTimersByTimeAsync(1000);
    expect(at).toEqual([0, 100, 300]);
    await q.run("k"); // at 1000, fails: the first delay again
    await vi.advanceTimersByTimeAsync(1000);
    expect(at).toEqual([0, 100, 300, 1000, 1100]);
  });

  it("a run that succeeds meanwhile, from any caller, ends the retries owed", async () => {
    vi.useFakeTimers();
    const { q, at } = scripted("fail", "ok");
    await q.run("k");
    expect(q.retrying).toBe(1);
    await vi.advanceTimersByTimeAsync(50);
    await q.run("k");
    expect(q.retrying).toBe(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(at).toEqual([0, 50]);
  });

  it("owes nothing for an untried run, but a retry that finds its target unreachable is retried again", async () => {
    vi.useFakeTimers();
    const { q, at } = scripted("untried", "fail", "untried", "ok");
    await q.run("k");
    expect(q.retrying).toBe(0);
    await q.run("k"); // fails: retried at 100, where it is untried, so again at 100 + 200
    await vi.advanceTimersByTimeAsync(1000);
    expect(at).toEqual([0, 0, 100, 300]);
    expect(q.retrying).toBe(0);
  });

  it("drops every retry owed on stop", async () => {
    vi.useFakeTimers();
    const { q, at } = scripted("fail", "fail", "fail");
    await q.run("a");
    await q.run("b");
    expect(q.retrying).toBe(2);
    q.stop();
    expect(q.retrying).toBe(0);
    await q.run("c"); // fails too, after the stop
    expect(q.retrying).toBe(0);
    await vi.advanceTimersByTimeAsync(5000);
    expect(at).toEqual([0, 0, 0]);
  });

  it("computes the delay of the nth retry, the last one repeating", () => {
    expect([1, 2, 3, 4, 10].map((n) => backoffDelay([100, 200, 400], n))).toEqual([100, 200, 400, 400, 400]);
    expect(backoffDelay(RECONCILE_BACKOFF_MS, 1)).toBe(500);
    expect(backoffDelay(RECONCILE_BACKOFF_MS, 100)).toBe(60_000);
  });
});

describe("the reconcile retry policy", () => {
  const err = (code: ErrorCode, retryable?: boolean) =>
    new FederationError(code, "x", retryable === undefined ? {} : { retryable });
  it("retries retryable failures that reached the member, and nothing else", () => {
    expect(RECONCILE_RETRIES.failed(null)).toBe(false);
    expect(RECONCILE_RETRIES.failed(err(ErrorCode.Internal))).toBe(true);
    expect(RECONCILE_RETRIES.failed(err(ErrorCode.Unavailable))).toBe(true);
    // A member's refusal says whether it is worth retrying.
    expect(RECONCILE_RETRIES.failed(err(ErrorCode.Forbidden, true))).toBe(true);
    expect(RECONCILE_RETRIES.failed(err(ErrorCode.Invalid))).toBe(false);
    expect(RECONCILE_RETRIES.failed(err(ErrorCode.Unreachable))).toBe(false);
  });
  it("takes a run that did not reach the member as untried, covering nothing", () => {
    expect(RECONCILE_RETRIES.untried(err(ErrorCode.Unreachable))).toBe(true);
    expect(reachedMember(err(ErrorCode.Unreachable))).toBe(false);
    expect(RECONCILE_RETRIES.untried(err(ErrorCode.Unavailable))).toBe(false);
    expect(RECONCILE_RETRIES.untried(null)).toBe(false);
    expect(reachedMember(null)).toBe(true);
  });
});
