import { describe, expect, it } from "vitest";
import type { ZoneRecord } from "@kubefed/dnsupdate";
import type { Change } from "../provider.ts";
import { forms, markerName, markerText, ownedSets, planChange } from "./rfc2136-owner.ts";

const z = "kubefed.test.";
const rec = (name: string, type: string, value: string, ttl = 30): ZoneRecord => ({ name, type, ttl, value });

describe("markers", () => {
  it("sit at a child of the set's name, one per type, so a CNAME never shares its name with the TXT", () => {
    expect(markerName({ name: `web.${z}`, type: "CNAME" })).toBe(`_kubefed-cname.web.${z}`);
    expect(markerName({ name: `web.${z}`, type: "AAAA" })).toBe(`_kubefed-aaaa.web.${z}`);
    expect(markerText("fed1")).toBe("heritage=kubefed,owner=fed1");
  });
});

describe("ownedSets", () => {
  const zone: ZoneRecord[] = [
    rec(z, "SOA", "..."),
    rec(`web.${z}`, "A", "192.0.2.2"),
    rec(`web.${z}`, "A", "192.0.2.1", 20),
    rec(`_kubefed-a.web.${z}`, "TXT", markerText("fed1")),
    rec(`web.${z}`, "AAAA", "2001:db8::1"),
    rec(`_kubefed-aaaa.web.${z}`, "TXT", markerText("fed2")),
    rec(`alias.${z}`, "CNAME", `web.${z}`),
    rec(`_kubefed-cname.alias.${z}`, "TXT", markerText("fed1")),
    rec(`hand.${z}`, "A", "198.51.100.1"),
    rec(`_kubefed-a.gone.${z}`, "TXT", markerText("fed1")),
    rec(`_kubefed-a.fake.${z}`, "TXT", "heritage=kubefed,owner=fed10"),
    rec(`fake.${z}`, "A", "198.51.100.2"),
  ];

  it("returns only the sets this owner marked, values sorted, the smallest TTL", () => {
    expect(ownedSets(zone, "fed1").sets).toEqual([
      { name: `web.${z}`, type: "A", ttl: 20, values: ["192.0.2.1", "192.0.2.2"] },
      { name: `alias.${z}`, type: "CNAME", ttl: 30, values: [`web.${z}`] },
    ]);
    expect(ownedSets(zone, "fed2").sets).toEqual([
      { name: `web.${z}`, type: "AAAA", ttl: 30, values: ["2001:db8::1"] },
    ]);
  });

  it("reports a marker without records as an orphan, not as a set", () => {
    expect(ownedSets(zone, "fed1").orphans).toEqual([`gone.${z} A`]);
  });

  it("matches the owner exactly (fed1 is not fed10)", () => {
    expect(ownedSets(zone, "fed10").sets.map((s) => s.name)).toEqual([`fake.${z}`]);
  });
});

describe("planChange", () => {
  const set = { name: `web.${z}`, type: "CNAME" as const, ttl: 30, values: [`g.${z}`] };
  const up: Change = { action: "upsert", set };
  const ours = {
    kind: "rrsetEquals",
    name: `_kubefed-cname.web.${z}`,
    records: [{ type: "TXT", value: [markerText("fed1")] }],
  };

  it("update: this owner's marker must be there; the set is replaced", () => {
    expect(planChange(up, "fed1", "update", new Set())).toMatchObject({
      prerequisites: [ours],
      updates: [
        { kind: "deleteRrset", name: set.name, type: "CNAME" },
        { kind: "add", name: set.name, ttl: 30, data: { type: "CNAME", value: `g.${z}` } },
      ],
    });
  });

  it("create: neither marker nor set nor other data at the name; the marker is written with the set", () => {
    const p = planChange(up, "fed1", "create", new Set());
    expect(p.prerequisites).toEqual([
      { kind: "rrsetAbsent", name: `_kubefed-cname.web.${z}`, type: "TXT" },
      { kind: "rrsetAbsent", name: set.name, type: "CNAME" },
      { kind: "nameNotInUse", name: set.name },
    ]);
    expect(p.updates[0]).toEqual({
      kind: "add",
      name: `_kubefed-cname.web.${z}`,
      ttl: 30,
      data: { type: "TXT", value: [markerText("fed1")] },
    });
  });

  it("create of a CNAME replacing this owner's A in the same message: only the types not deleted must be absent", () => {
    expect(planChange(up, "fed1", "create", new Set(["A"])).prerequisites.slice(2)).toEqual([
      { kind: "rrsetAbsent", name: set.name, type: "AAAA" },
    ]);
  });

  it("create of an A: no CNAME at the name", () => {
    const p = planChange(
      { action: "upsert", set: { ...set, type: "A", values: ["192.0.2.1"] } },
      "o",
      "create",
      new Set(),
    );
    expect(p.prerequisites.slice(2)).toEqual([{ kind: "rrsetAbsent", name: set.name, type: "CNAME" }]);
  });

  it("delete: this owner's marker must be there; set and marker go together", () => {
    expect(planChange({ action: "delete", set }, "fed1", "delete", new Set())).toMatchObject({
      prerequisites: [ours],
      updates: [
        { kind: "deleteRrset", name: set.name, type: "CNAME" },
        { kind: "deleteRrset", name: `_kubefed-cname.web.${z}`, type: "TXT" },
      ],
    });
  });

  it("tries the form it believes first, then the other", () => {
    expect(forms(up, true)).toEqual(["update", "create"]);
    expect(forms(up, false)).toEqual(["create", "update"]);
    expect(forms({ action: "delete", set }, true)).toEqual(["delete", "deleteGone"]);
  });
});
