import { describe, expect, it } from "vitest";
import { KeyQueue } from "./keyqueue.ts";

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
