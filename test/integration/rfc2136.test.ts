// The RFC 2136 provider against real BIND 9 and real Knot (started by the global setup with a dynamic zone and
// a TSIG key): what it writes is checked by UDP queries to the server, what it must not touch by a transfer.
import { Resolver } from "node:dns/promises";
import { describe, expect, it } from "vitest";
import type { AuthoritativeDnsInfo } from "@kubefed/localenv";
import { freePort } from "@kubefed/localenv";
import { DnsClient, tsigKey, type TsigKey } from "@kubefed/dnsupdate";
import { Rfc2136Provider, type Change, type RecordSet } from "@kubefed/dns-sync";
import { env, uniqueName } from "./helpers.ts";

const servers = (): [string, AuthoritativeDnsInfo][] => {
  const e = env();
  if (!e.bind || !e.knot) throw new Error("the global setup starts BIND 9 and Knot (bind: true, knot: true)");
  return [
    ["BIND 9", e.bind],
    ["Knot", e.knot],
  ];
};

const keyOf = (s: AuthoritativeDnsInfo): TsigKey => tsigKey(s.tsig.keyName, s.tsig.algorithm, s.tsig.secret);
const provider = (s: AuthoritativeDnsInfo, opts: { maxMessageBytes?: number; key?: TsigKey } = {}) =>
  new Rfc2136Provider({ server: { host: s.host, port: s.port }, key: opts.key ?? keyOf(s), ...opts });

function resolver(s: AuthoritativeDnsInfo): Resolver {
  const r = new Resolver({ timeout: 2000, tries: 2 });
  r.setServers([`127.0.0.1:${s.port}`]);
  return r;
}

/** What the server answers over UDP for one name and type; [] when it has no such records. */
async function answer(s: AuthoritativeDnsInfo, name: string, type: "A" | "AAAA" | "CNAME"): Promise<string[]> {
  const r = resolver(s);
  try {
    const values =
      type === "A" ? await r.resolve4(name) : type === "AAAA" ? await r.resolve6(name) : await r.resolveCname(name);
    return values.map((v) => (type === "CNAME" ? `${v}.` : v)).sort();
  } catch (e) {
    if ((e as { code?: string }).code === "ENOTFOUND" || (e as { code?: string }).code === "ENODATA") return [];
    throw e;
  }
}

const serial = async (s: AuthoritativeDnsInfo): Promise<number> => (await resolver(s).resolveSoa(s.zone)).serial;

const a = (name: string, ...values: string[]): RecordSet => ({ name, type: "A", ttl: 30, values: values.sort() });
const aaaa = (name: string, ...values: string[]): RecordSet => ({ name, type: "AAAA", ttl: 30, values });
const cname = (name: string, target: string): RecordSet => ({ name, type: "CNAME", ttl: 30, values: [target] });
const upsert = (set: RecordSet): Change => ({ action: "upsert", set });
const del = (set: RecordSet): Change => ({ action: "delete", set });
const byKey = (sets: RecordSet[]) =>
  [...sets].sort((x, y) => `${x.name} ${x.type}`.localeCompare(`${y.name} ${y.type}`));

/** Everything in the zone under `sub`, as "name type value" lines: what a foreign writer left must stay. */
async function zoneUnder(s: AuthoritativeDnsInfo, sub: string): Promise<string[]> {
  const records = await new DnsClient({ server: s, key: keyOf(s) }).transfer(s.zone);
  return records
    .filter((r) => r.name === sub || r.name.endsWith(`.${sub}`))
    .map((r) => `${r.name} ${r.type} ${r.value}`)
    .sort();
}

describe.each(servers())("RFC 2136 provider against %s", (_label, s) => {
  const sub = () => `${uniqueName("t")}.${s.zone}`;

  it("applies, lists and deletes A, AAAA and CNAME sets; the server answers them over UDP", async () => {
    const p = provider(s);
    const owner = uniqueName("fed");
    const d = sub();
    const web = a(`web.${d}`, "192.0.2.1", "192.0.2.2");
    const web6 = aaaa(`web.${d}`, "2001:db8::1");
    const zonal = cname(`zonal.${d}`, `web.${d}`);
    await p.apply(s.zone, owner, [upsert(web), upsert(web6), upsert(zonal)]);
    expect(byKey(await p.listOwned(s.zone, owner))).toEqual(byKey([web, web6, zonal]));
    expect(await answer(s, web.name, "A")).toEqual(["192.0.2.1", "192.0.2.2"]);
    expect(await answer(s, web.name, "AAAA")).toEqual(["2001:db8::1"]);
    expect(await answer(s, zonal.name, "CNAME")).toEqual([`web.${d}`]);

    // Replace values; turn the address name into a CNAME (its A and AAAA deleted in the same apply).
    const web2 = a(`web.${d}`, "192.0.2.3");
    await p.apply(s.zone, owner, [upsert(web2)]);
    expect(await answer(s, web.name, "A")).toEqual(["192.0.2.3"]);
    const webAlias = cname(`web.${d}`, `global.${d}`);
    await p.apply(s.zone, owner, [del(web2), del(web6), upsert(webAlias)]);
    expect(await answer(s, web.name, "CNAME")).toEqual([`global.${d}`]);
    expect(byKey(await p.listOwned(s.zone, owner))).toEqual(byKey([webAlias, zonal]));

    // A provider with no memory of what it wrote (a restart) updates and deletes the same sets.
    const restarted = provider(s);
    const back = a(`web.${d}`, "192.0.2.9");
    await restarted.apply(s.zone, owner, [del(webAlias), upsert(back)]);
    expect(await answer(s, web.name, "A")).toEqual(["192.0.2.9"]);
    await restarted.apply(s.zone, owner, [del(back), del(zonal)]);
    expect(await restarted.listOwned(s.zone, owner)).toEqual([]);
    expect(await answer(s, web.name, "A")).toEqual([]);
    expect(await answer(s, zonal.name, "CNAME")).toEqual([]);
    expect(await zoneUnder(s, d)).toEqual([]);
  });

  it("leaves a foreign record and a second owner's records alone through every operation", async () => {
    const d = sub();
    const hand = new DnsClient({ server: s, key: keyOf(s) });
    // Written by hand: one name of its own, and one the federation will want.
    await hand.update({
      zone: s.zone,
      prerequisites: [],
      updates: [
        { kind: "add", name: `foreign.${d}`, ttl: 60, data: { type: "A", value: "198.51.100.1" } },
        { kind: "add", name: `taken.${d}`, ttl: 60, data: { type: "A", value: "198.51.100.2" } },
      ],
    });
    const fed1 = uniqueName("fed1");
    const fed2 = uniqueName("fed2");
    const p = provider(s);
    const other = a(`svc.fed2.${d}`, "203.0.113.2");
    await p.apply(s.zone, fed2, [upsert(other)]);
    const before = await zoneUnder(s, d);

    const mine = a(`svc.fed1.${d}`, "203.0.113.1");
    const err = await p
      .apply(s.zone, fed1, [
        upsert(mine),
        upsert(a(`taken.${d}`, "203.0.113.9")),
        upsert(cname(`foreign.${d}`, `x.${d}`)),
      ])
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toMatchObject({ code: "Conflict" });
    expect((err as { fieldErrors: { field: string }[] }).fieldErrors.map((f) => f.field).sort()).toEqual([
      `foreign.${d} CNAME`,
      `taken.${d} A`,
    ]);
    expect(await answer(s, mine.name, "A")).toEqual(["203.0.113.1"]);

    // fed1 can neither change nor delete fed2's set, nor a hand-written one.
    const refused = await p
      .apply(s.zone, fed1, [upsert(a(other.name, "203.0.113.66")), del(other), del(a(`foreign.${d}`, "198.51.100.1"))])
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(refused).toMatchObject({ code: "Conflict" });
    expect(byKey(await p.listOwned(s.zone, fed1))).toEqual([mine]);
    expect(await p.listOwned(s.zone, fed2)).toEqual([other]);

    await p.apply(s.zone, fed1, [del(mine)]);
    expect(await p.listOwned(s.zone, fed1)).toEqual([]);
    expect(await zoneUnder(s, d)).toEqual(before);
    expect(await answer(s, `foreign.${d}`, "A")).toEqual(["198.51.100.1"]);
    expect(await answer(s, `taken.${d}`, "A")).toEqual(["198.51.100.2"]);
    expect(await answer(s, other.name, "A")).toEqual(["203.0.113.2"]);
  });

  it("a wrong TSIG key gives one clear error and changes nothing", async () => {
    const owner = uniqueName("fed");
    const d = sub();
    const wrong = tsigKey(s.tsig.keyName, s.tsig.algorithm, Buffer.alloc(32, 9).toString("base64"));
    const p = provider(s, { key: wrong });
    const before = await serial(s);
    await expect(p.apply(s.zone, owner, [upsert(a(`w.${d}`, "192.0.2.1"))])).rejects.toMatchObject({
      code: "Unauthorized",
      message: expect.stringMatching(/BADSIG: the server rejected the TSIG signature/),
    });
    await expect(p.listOwned(s.zone, owner)).rejects.toMatchObject({
      code: "Unauthorized",
      message: expect.stringMatching(/AXFR .*BADSIG/),
    });
    const unknown = provider(s, { key: tsigKey("nobody.", s.tsig.algorithm, s.tsig.secret) });
    await expect(unknown.apply(s.zone, owner, [upsert(a(`w.${d}`, "192.0.2.1"))])).rejects.toMatchObject({
      message: expect.stringMatching(/BADKEY/),
    });
    expect(await serial(s)).toBe(before);
    expect(await answer(s, `w.${d}`, "A")).toEqual([]);
  });

  it("an unreachable server gives one clear error", async () => {
    const port = await freePort();
    const p = new Rfc2136Provider({ server: { host: "127.0.0.1", port }, key: keyOf(s), timeoutMs: 2000 });
    await expect(p.apply(s.zone, "fed", [upsert(a(`u.${s.zone}`, "192.0.2.1"))])).rejects.toMatchObject({
      code: "Unreachable",
      message: expect.stringMatching(new RegExp(`DNS server 127\\.0\\.0\\.1:${port} is unreachable: .*ECONNREFUSED`)),
    });
    await expect(p.listOwned(s.zone, "fed")).rejects.toMatchObject({ code: "Unreachable" });
  });

  it("splits a large apply into several messages, each within the bound", async () => {
    const owner = uniqueName("fed");
    const d = sub();
    const sets = Array.from({ length: 60 }, (_, i) => a(`s${i}.${d}`, `192.0.2.${i + 1}`));
    const p = provider(s, { maxMessageBytes: 2048 });
    const before = await serial(s);
    await p.apply(s.zone, owner, sets.map(upsert));
    // Both servers raise the serial once per UPDATE message they apply.
    expect((await serial(s)) - before).toBeGreaterThan(3);
    expect(byKey(await p.listOwned(s.zone, owner))).toEqual(byKey(sets));
    await p.apply(s.zone, owner, sets.map(del));
    expect(await p.listOwned(s.zone, owner)).toEqual([]);
  });

  it("after an apply cut short, listOwned shows exactly what was applied and a diff repairs the rest", async () => {
    const owner = uniqueName("fed");
    const d = sub();
    const desired = [
      ...Array.from({ length: 10 }, (_, i) => a(`n${i}.${d}`, `198.51.100.${i + 1}`)),
      aaaa(`n0.${d}`, "2001:db8::10"),
      cname(`alias.${d}`, `n0.${d}`),
    ];
    const changes = desired.map(upsert);
    const p = provider(s, { maxMessageBytes: 1024 });
    // The crash: only the first half of the changes reached the server.
    await p.apply(s.zone, owner, changes.slice(0, 6));
    const restarted = provider(s);
    const listed = await restarted.listOwned(s.zone, owner);
    expect(byKey(listed)).toEqual(byKey(desired.slice(0, 6)));
    const key = (x: RecordSet) => `${x.name} ${x.type} ${x.ttl} ${x.values.join(",")}`;
    const have = new Set(listed.map(key));
    await restarted.apply(s.zone, owner, desired.filter((x) => !have.has(key(x))).map(upsert));
    expect(byKey(await restarted.listOwned(s.zone, owner))).toEqual(byKey(desired));
    expect(await answer(s, `n9.${d}`, "A")).toEqual(["198.51.100.10"]);
    await restarted.apply(s.zone, owner, desired.map(del));
  });

  it("refuses bad input before sending anything", async () => {
    const p = provider(s);
    const before = await serial(s);
    const zoneNoDot = s.zone.replace(/\.$/, "");
    await expect(p.apply(zoneNoDot, "fed", [upsert(a(`b.${s.zone}`, "192.0.2.1"))])).rejects.toMatchObject({
      code: "Invalid",
      message: `zone name "${zoneNoDot}" must be fully qualified with a trailing dot, e.g. "example.com."`,
    });
    await expect(p.listOwned(zoneNoDot, "fed")).rejects.toMatchObject({ code: "Invalid" });
    await expect(
      p.apply(s.zone, "fed", [upsert(a(`ok.${s.zone}`, "192.0.2.1")), upsert(a("www.elsewhere.test.", "192.0.2.1"))]),
    ).rejects.toMatchObject({ code: "Invalid", message: expect.stringMatching(/outside zone/) });
    expect(await serial(s)).toBe(before);
    expect(await answer(s, `ok.${s.zone}`, "A")).toEqual([]);
  });
});
