// UPDATE encoding against the table of RFC 2136 sections 2.4 and 2.5 (class, type, TTL and RDLENGTH of each
// form), and against the update nsupdate sent (fixtures/recorded.json).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DnsError, refusal } from "./errors.ts";
import { encodeUpdate, recordOf, sectionBytes, walkMessage, type Prerequisite, type UpdateOp } from "./wire.ts";

const n = "www.kubefed.test.";
const a = { type: "A", value: "192.0.2.1" } as const;

function only(msg: Buffer) {
  const w = walkMessage(msg);
  expect(w.records).toHaveLength(1);
  const r = w.records[0]!;
  return { section: r.section, type: r.type, klass: r.klass, ttl: r.ttl, rdlength: msg.readUInt16BE(r.rdlengthAt) };
}

describe("prerequisite forms (RFC 2136 2.4)", () => {
  const cases: [Prerequisite, { type: number; klass: number; rdlength: number }][] = [
    [
      { kind: "rrsetExists", name: n, type: "A" },
      { type: 1, klass: 255, rdlength: 0 },
    ],
    [
      { kind: "rrsetEquals", name: n, records: [a] },
      { type: 1, klass: 1, rdlength: 4 },
    ],
    [
      { kind: "rrsetAbsent", name: n, type: "CNAME" },
      { type: 5, klass: 254, rdlength: 0 },
    ],
    [
      { kind: "nameInUse", name: n },
      { type: 255, klass: 255, rdlength: 0 },
    ],
    [
      { kind: "nameNotInUse", name: n },
      { type: 255, klass: 254, rdlength: 0 },
    ],
  ];
  it.each(cases)("%o", (p, want) => {
    const msg = encodeUpdate(1, { zone: "kubefed.test.", prerequisites: [p], updates: [] });
    expect(only(msg)).toEqual({ section: "answer", ttl: 0, ...want });
    expect(msg.length).toBe(12 + 18 /* zone section */ + sectionBytes([p], []));
  });
});

describe("update forms (RFC 2136 2.5)", () => {
  const cases: [UpdateOp, { type: number; klass: number; ttl: number; rdlength: number }][] = [
    [
      { kind: "add", name: n, ttl: 30, data: a },
      { type: 1, klass: 1, ttl: 30, rdlength: 4 },
    ],
    [
      { kind: "add", name: n, ttl: 30, data: { type: "TXT", value: ["ab"] } },
      { type: 16, klass: 1, ttl: 30, rdlength: 3 },
    ],
    [
      { kind: "deleteRrset", name: n, type: "AAAA" },
      { type: 28, klass: 255, ttl: 0, rdlength: 0 },
    ],
    [
      { kind: "deleteName", name: n },
      { type: 255, klass: 255, ttl: 0, rdlength: 0 },
    ],
    [
      { kind: "deleteRecord", name: n, data: a },
      { type: 1, klass: 254, ttl: 0, rdlength: 4 },
    ],
  ];
  it.each(cases)("%o", (u, want) => {
    const msg = encodeUpdate(1, { zone: "kubefed.test.", prerequisites: [], updates: [u] });
    expect(only(msg)).toEqual({ section: "authority", ...want });
  });

  it("header: opcode UPDATE, one zone of type SOA", () => {
    const msg = encodeUpdate(0xbeef, { zone: "kubefed.test.", prerequisites: [], updates: [] });
    const w = walkMessage(msg);
    expect([w.id, w.opcode, w.questions, w.response]).toEqual([0xbeef, 5, 1, false]);
    expect(msg.readUInt16BE(msg.length - 4)).toBe(6);
  });

  it("refuses a name longer than 255 bytes and a label longer than 63", () => {
    const long = `${"a".repeat(63)}.`.repeat(4) + "kubefed.test.";
    const add = (name: string): UpdateOp => ({ kind: "add", name, ttl: 1, data: a });
    expect(() => encodeUpdate(1, { zone: "kubefed.test.", prerequisites: [], updates: [add(long)] })).toThrow(/255/);
    expect(() =>
      encodeUpdate(1, { zone: "kubefed.test.", prerequisites: [], updates: [add(`${"a".repeat(64)}.t.`)] }),
    ).toThrow(/label/);
  });
});

describe("nsupdate's update, read back", () => {
  const recorded = JSON.parse(readFileSync(new URL("./fixtures/recorded.json", import.meta.url), "utf8")) as {
    bind: { nsupdate: { request: string } };
  };
  it("has the two adds it was told to send, then its TSIG", () => {
    const msg = Buffer.from(recorded.bind.nsupdate.request, "base64");
    const w = walkMessage(msg);
    expect(w.opcode).toBe(5);
    const updates = w.records.filter((r) => r.section === "authority").map((r) => recordOf(msg, r));
    expect(updates).toEqual([
      { name: "app.kubefed.test.", type: "A", ttl: 30, value: "192.0.2.10" },
      { name: "app.kubefed.test.", type: "A", ttl: 30, value: "192.0.2.11" },
    ]);
    expect(w.records.at(-1)?.type).toBe(250);
  });

  it("a truncated message is a clear error", () => {
    const msg = Buffer.from(recorded.bind.nsupdate.request, "base64");
    expect(() => walkMessage(msg.subarray(0, msg.length - 3))).toThrow(/malformed DNS message/);
  });
});

describe("refusals", () => {
  it.each([
    [9, "Unauthorized"],
    [5, "Forbidden"],
    [10, "Invalid"],
    [7, "Conflict"],
    [8, "Conflict"],
    [2, "Unavailable"],
    [16, "Unauthorized"],
    [17, "Unauthorized"],
    [18, "Unauthorized"],
  ])("RCODE %i is %s", (rcode, code) => {
    const e = refusal(rcode, "UPDATE of zone z.");
    expect(e).toBeInstanceOf(DnsError);
    expect(e.code).toBe(code);
    expect(e.message).toMatch(/^UPDATE of zone z\.: [A-Z]+: /);
  });
});
