import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyChanges, diffRecordSets, recordSet, setKey, type RecordSet } from "./records.ts";

const byKey = (sets: Iterable<RecordSet>) => new Map([...sets].map((s) => [setKey(s), s]));

const arbSet: fc.Arbitrary<RecordSet> = fc
  .record({
    name: fc.constantFrom("a.example.com.", "b.example.com.", "c.example.com."),
    type: fc.constantFrom("A" as const, "AAAA" as const, "CNAME" as const),
    ttl: fc.constantFrom(5, 30),
    values: fc.uniqueArray(fc.constantFrom("10.0.0.1", "10.0.0.2", "x.example.com."), { minLength: 1, maxLength: 3 }),
  })
  .map((r) => recordSet(r.name, r.type, r.ttl, r.values));
/** A collection of sets, one per name and type. */
const arbSets = fc.array(arbSet, { maxLength: 9 }).map((sets) => [...byKey(sets).values()]);

describe("diffRecordSets", () => {
  it("gives changes that, applied to the current sets, give the desired sets", () => {
    fc.assert(
      fc.property(arbSets, arbSets, (desired, current) => {
        const after = applyChanges(byKey(current), diffRecordSets(desired, current));
        expect(after).toEqual(byKey(desired));
      }),
    );
  });

  it("is idempotent: nothing to do once applied", () => {
    fc.assert(
      fc.property(arbSets, arbSets, (desired, current) => {
        const after = applyChanges(byKey(current), diffRecordSets(desired, current));
        expect(diffRecordSets(desired, after.values())).toEqual([]);
      }),
    );
  });

  it("orders each name's deletes before its upserts, names in order", () => {
    fc.assert(
      fc.property(arbSets, arbSets, (desired, current) => {
        const changes = diffRecordSets(desired, current);
        for (let i = 1; i < changes.length; i++) {
          const [a, b] = [changes[i - 1]!, changes[i]!];
          expect(a.set.name <= b.set.name).toBe(true);
          if (a.set.name === b.set.name) expect(a.action === "upsert" && b.action === "delete").toBe(false);
        }
      }),
    );
  });

  it("upserts a set whose TTL or values changed, and deletes one no longer wanted", () => {
    const a = recordSet("a.example.com.", "A", 30, ["10.0.0.1"]);
    const changes = diffRecordSets(
      [{ ...a, ttl: 5 }, recordSet("a.example.com.", "CNAME", 30, ["b.example.com."])],
      [a, recordSet("c.example.com.", "A", 30, ["10.0.0.3"])],
    );
    expect(changes.map((c) => `${c.action} ${setKey(c.set)} ${c.set.ttl}`)).toEqual([
      "upsert a.example.com. A 5",
      "upsert a.example.com. CNAME 30",
      "delete c.example.com. A 30",
    ]);
  });
});
