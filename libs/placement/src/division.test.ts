import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { divideReplicas, stableHash, type ClusterShare } from "./division.ts";

const share = (name: string, weight: number, minReplicas = 0, maxReplicas?: number): ClusterShare => ({
  name,
  weight,
  minReplicas,
  ...(maxReplicas !== undefined ? { maxReplicas } : {}),
});
const sum = (r: Readonly<Record<string, number>>) => Object.values(r).reduce((a, b) => a + b, 0);

describe("divideReplicas (table)", () => {
  const cases: [string, number, ClusterShare[], Record<string, number>, number][] = [
    ["weights 1:2:0", 9, [share("a", 1), share("b", 2), share("c", 0)], { a: 3, b: 6 }, 0],
    ["even split", 9, [share("a", 1), share("b", 1), share("c", 1)], { a: 3, b: 3, c: 3 }, 0],
    ["minimums first, then weights", 10, [share("a", 1, 6), share("b", 1)], { a: 8, b: 2 }, 0],
    ["largest remainder", 10, [share("a", 1), share("b", 2)], { a: 3, b: 7 }, 0],
    ["maximum caps, the rest moves", 10, [share("a", 1, 0, 2), share("b", 1)], { a: 2, b: 8 }, 0],
    ["all capped: unplaced", 10, [share("a", 1, 0, 2), share("b", 1, 0, 3)], { a: 2, b: 3 }, 5],
    ["min above max: capped by max", 5, [share("a", 0, 4, 2), share("b", 1)], { a: 2, b: 3 }, 0],
    ["no clusters", 3, [], {}, 3],
    ["zero replicas", 0, [share("a", 1)], {}, 0],
  ];
  it.each(cases)("%s", (_, total, shares, replicas, unplaced) => {
    expect(divideReplicas(total, shares, "apps/ReplicaSet/ns/x")).toEqual({ replicas, unplaced });
  });

  it("minimums above the total go in hash order, not name order", () => {
    const shares = ["a", "b", "c", "d"].map((n) => share(n, 1, 1));
    const winners = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const d = divideReplicas(1, shares, `obj-${i}`);
      winners.add(Object.keys(d.replicas)[0]!);
    }
    expect(winners.size).toBeGreaterThan(1);
  });

  it("remainders are spread over clusters across objects", () => {
    const shares = ["a", "b", "c"].map((n) => share(n, 1));
    const extra = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      for (const [n, r] of Object.entries(divideReplicas(4, shares, `obj-${i}`).replicas))
        if (r === 2) extra.set(n, (extra.get(n) ?? 0) + 1);
    }
    for (const n of ["a", "b", "c"]) expect(extra.get(n) ?? 0).toBeGreaterThan(60);
  });

  it("the hash depends on both the cluster and the object", () => {
    expect(stableHash("a", "x")).not.toBe(stableHash("a", "y"));
    expect(stableHash("a", "x")).not.toBe(stableHash("b", "x"));
    expect(stableHash("a", "x")).toBe(stableHash("a", "x"));
  });
});

const arbShares = fc
  .uniqueArray(
    fc.record({
      name: fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/),
      weight: fc.integer({ min: 0, max: 20 }),
      minReplicas: fc.integer({ min: 0, max: 10 }),
      maxReplicas: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
    }),
    { selector: (s) => s.name, maxLength: 12 },
  )
  .map((xs) => xs.map((s) => share(s.name, s.weight, s.minReplicas, s.maxReplicas)));

describe("divideReplicas (properties)", () => {
  const total = fc.integer({ min: 0, max: 500 });

  it("preserves the total: placed + unplaced = total", () => {
    fc.assert(
      fc.property(total, arbShares, fc.string(), (t, shares, o) => {
        const d = divideReplicas(t, shares, o);
        expect(sum(d.replicas) + d.unplaced).toBe(t);
      }),
    );
  });

  it("respects maxima, and minima as far as the total and the maximum allow", () => {
    fc.assert(
      fc.property(total, arbShares, fc.string(), (t, shares, o) => {
        const d = divideReplicas(t, shares, o);
        for (const s of shares) {
          const got = d.replicas[s.name] ?? 0;
          if (s.maxReplicas !== undefined) expect(got).toBeLessThanOrEqual(s.maxReplicas);
          const minTotal = shares.reduce((a, x) => a + Math.min(x.minReplicas, x.maxReplicas ?? Infinity), 0);
          if (minTotal <= t) expect(got).toBeGreaterThanOrEqual(Math.min(s.minReplicas, s.maxReplicas ?? Infinity));
        }
      }),
    );
  });

  it("leaves nothing unplaced while some cluster with weight has room", () => {
    fc.assert(
      fc.property(total, arbShares, fc.string(), (t, shares, o) => {
        const d = divideReplicas(t, shares, o);
        if (d.unplaced > 0)
          for (const s of shares) if (s.weight > 0) expect(d.replicas[s.name] ?? 0).toBe(s.maxReplicas);
      }),
    );
  });

  it("honours weights within rounding when no bound binds", () => {
    const unbounded = fc.uniqueArray(
      fc.record({ name: fc.stringMatching(/^[a-z]{1,6}$/), weight: fc.integer({ min: 0, max: 20 }) }),
      { selector: (s) => s.name, minLength: 1, maxLength: 10 },
    );
    fc.assert(
      fc.property(total, unbounded, fc.string(), (t, xs, o) => {
        fc.pre(xs.some((x) => x.weight > 0));
        const d = divideReplicas(
          t,
          xs.map((x) => share(x.name, x.weight)),
          o,
        );
        const w = xs.reduce((a, x) => a + x.weight, 0);
        for (const x of xs) {
          const exact = (t * x.weight) / w;
          expect(Math.abs((d.replicas[x.name] ?? 0) - exact)).toBeLessThan(1);
        }
      }),
    );
  });

  it("is the same whatever the order of the clusters", () => {
    fc.assert(
      fc.property(total, arbShares, fc.string(), fc.integer(), (t, shares, o, seed) => {
        const shuffled = [...shares].sort(
          (a, b) => ((a.name.length * 31 + seed) % 7) - ((b.name.length * 17 + seed) % 5),
        );
        expect(divideReplicas(t, shuffled, o)).toEqual(divideReplicas(t, shares, o));
        expect(divideReplicas(t, [...shares].reverse(), o)).toEqual(divideReplicas(t, shares, o));
      }),
    );
  });
});
