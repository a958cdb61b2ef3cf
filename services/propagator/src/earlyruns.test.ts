import { describe, expect, it } from "vitest";
import { EarlyRuns } from "./earlyruns.ts";

type R = "done" | "unreachable";
const covers = (r: R) => r !== "unreachable";
const pending = () => {
  let resolve: (r: R) => void = () => undefined;
  const run = new Promise<R>((r) => (resolve = r));
  return { run, resolve };
};
const settled = (r: R) => Promise.resolve(r);
const tick = () => new Promise((r) => setImmediate(r));

describe("the fast path's runs, claimed by the cursor", () => {
  it("covers a key's records up to the offset folded when the run was asked for, not beyond", () => {
    const early = new EarlyRuns<R>(10, covers);
    const run = settled("done");
    early.add("k", 10n, run);
    expect(early.claim("k", 11n)).toBeUndefined(); // a record the run may not have seen
    expect(early.size).toBe(0); // and no later batch can use it either
  });

  it("is taken by the batch that ends where it was asked for, once", () => {
    const early = new EarlyRuns<R>(10, covers);
    const run = settled("done");
    early.add("k", 10n, run);
    expect(early.claim("k", 10n)).toBe(run);
    expect(early.claim("k", 10n)).toBeUndefined();
  });

  it("stays for a later batch when it was asked for after this one's records", () => {
    const early = new EarlyRuns<R>(10, covers);
    const run = settled("done");
    early.add("k", 12n, run);
    expect(early.claim("k", 10n)).toBe(run);
    expect(early.claim("k", 12n)).toBe(run);
    expect(early.size).toBe(0);
  });

  it("does not cover anything once it found the member unreachable, and is waited for while it runs", async () => {
    const early = new EarlyRuns<R>(10, covers);
    const p = pending();
    early.add("k", 10n, p.run);
    expect(early.claim("k", 5n)).toBe(p.run); // still running: the batch waits for it and learns its result
    p.resolve("unreachable");
    await tick();
    expect(early.claim("k", 7n)).toBeUndefined();
    expect(early.size).toBe(0);
  });

  it("keeps the newest run of a key, and drops the oldest keys beyond its bound", () => {
    const early = new EarlyRuns<R>(2, covers);
    const [a, b, c, a2] = [settled("done"), settled("done"), settled("done"), settled("done")];
    early.add("a", 1n, a);
    early.add("b", 2n, b);
    early.add("a", 3n, a2); // a is now the newest
    early.add("c", 4n, c); // b, the oldest, goes
    expect(early.size).toBe(2);
    expect(early.claim("b", 2n)).toBeUndefined();
    expect(early.claim("a", 3n)).toBe(a2);
    expect(early.claim("c", 4n)).toBe(c);
  });

  it("forgets everything on clear", () => {
    const early = new EarlyRuns<R>(10, covers);
    early.add("k", 1n, settled("done"));
    early.clear();
    expect(early.claim("k", 1n)).toBeUndefined();
  });
});
