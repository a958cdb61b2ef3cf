/**
 * The DNS servers the end-to-end DNS tests run against, one entry per provider. Everything provider-specific is
 * here: how dns-sync is started for it, where its DNS server answers, how a record of another owner is written
 * beside ours, and how to read what a federation owns (through the provider's own listing). The tests iterate over
 * DNS_SERVERS; adding a provider is adding an entry.
 */
import { Resolver } from "node:dns/promises";
import { CorednsProvider, OWNER_FIELD, Rfc2136Provider, type RecordSet } from "@kubefed/dns-sync";
import { DnsClient, tsigKey } from "@kubefed/dnsupdate";
import {
  startDnsSync,
  type AuthoritativeDnsInfo,
  type DnsSync,
  type DnsSyncOptions,
  type Federation,
} from "@kubefed/localenv";
import { env } from "./helpers.ts";

export interface DnsServerUnderTest {
  readonly provider: string;
  /** The zone dns-sync keeps for the tests. */
  readonly zone: string;
  /** host:port answering DNS over UDP. */
  server(): { host: string; port: number };
  startSync(fed: Pick<Federation, "name">, opts?: DnsSyncOptions): Promise<DnsSync>;
  /** Writes an A record as a human would, with no owner marker. */
  writeForeign(name: string, address: string): Promise<void>;
  /** What `owner` holds in the zone, as the provider lists it. */
  owned(owner: string): Promise<RecordSet[]>;
  /** Writes a set as `owner`'s dns-sync would, beside what is there (what a write cut short can leave). */
  writeOwned(owner: string, set: RecordSet): Promise<void>;
}

const etcdPut = async (key: string, value: string) => {
  const res = await fetch(`${env().etcd.endpoint}/v3/kv/put`, {
    method: "POST",
    body: JSON.stringify({ key: Buffer.from(key).toString("base64"), value: Buffer.from(value).toString("base64") }),
  });
  if (res.status !== 200) throw new Error(`etcd put ${key}: ${res.status} ${await res.text()}`);
};

const coredns = (): CorednsProvider =>
  new CorednsProvider({ etcdEndpoints: [env().etcd.endpoint], prefix: env().coredns!.etcdPrefix });

/** An authoritative server of the environment (BIND 9 or Knot) kept by the rfc2136 provider. */
function rfc2136Server(provider: string, info: () => AuthoritativeDnsInfo): DnsServerUnderTest {
  const key = () => tsigKey(info().tsig.keyName, info().tsig.algorithm, info().tsig.secret);
  const rfc2136 = () => new Rfc2136Provider({ server: { host: info().host, port: info().port }, key: key() });
  return {
    provider,
    get zone() {
      return info().zone;
    },
    server: () => ({ host: info().host, port: info().port }),
    startSync: (fed, opts) => startDnsSync(env(), fed, { ...opts, rfc2136: info() }),
    // An UPDATE without the owner marker: what a human with the key writes.
    writeForeign: (name, address) =>
      new DnsClient({ server: { host: info().host, port: info().port }, key: key() }).update({
        zone: info().zone,
        prerequisites: [],
        updates: [{ kind: "add", name, ttl: 60, data: { type: "A", value: address } }],
      }),
    owned: (owner) => rfc2136().listOwned(info().zone, owner),
    // The provider replaces the set rather than adding beside it; what is left is a set dns-sync must repair all
    // the same.
    writeOwned: (owner, set) => rfc2136().apply(info().zone, owner, [{ action: "upsert", set }]),
  };
}

export const DNS_SERVERS: DnsServerUnderTest[] = [
  {
    provider: "coredns",
    get zone() {
      return env().coredns!.zone;
    },
    server: () => ({ host: "127.0.0.1", port: env().coredns!.port }),
    startSync: (fed, opts) => startDnsSync(env(), fed, opts),
    writeForeign: (name, address) =>
      etcdPut(`${coredns().nameKey(name)}/by-hand`, JSON.stringify({ host: address, ttl: 60 })),
    owned: (owner) => coredns().listOwned(env().coredns!.zone, owner),
    writeOwned: async (owner, set) => {
      for (const v of set.values)
        await etcdPut(
          coredns().valueKey(set.name, set.type, v),
          JSON.stringify({ host: v.replace(/\.$/, ""), ttl: set.ttl, [OWNER_FIELD]: owner }),
        );
    },
  },
  rfc2136Server("rfc2136 (BIND 9)", () => env().bind!),
  rfc2136Server("rfc2136 (Knot)", () => env().knot!),
];

/** What a DNS server answers for a name over UDP: its CNAME target (if any) and the A records the chain ends at. */
export async function lookup(s: DnsServerUnderTest, name: string): Promise<{ cname: string | null; a: string[] }> {
  const r = new Resolver({ timeout: 1000, tries: 2 });
  const { host, port } = s.server();
  r.setServers([`${host}:${port}`]);
  return lookupWith(r, name);
}

export async function lookupWith(r: Resolver, name: string): Promise<{ cname: string | null; a: string[] }> {
  const absent = (e: unknown) => {
    const code = (e as { code?: string }).code;
    if (code === "ENOTFOUND" || code === "ENODATA") return [];
    throw e;
  };
  const cnames = await r.resolveCname(name).catch(absent);
  const a = await r.resolve4(name).catch(absent);
  return { cname: cnames[0] ? `${cnames[0].replace(/\.$/, "")}.` : null, a: [...a].sort() };
}

/** The three levels' names of a Service under `zone`. */
export function namesOf(svc: string, ns: string, fed: string, zone: string) {
  const base = `${svc}.${ns}.${fed}.svc`;
  return {
    global: `${base}.${zone}`,
    eu: `${base}.eu.${zone}`,
    us: `${base}.us.${zone}`,
    euA: `${base}.eu-a.eu.${zone}`,
    euB: `${base}.eu-b.eu.${zone}`,
    usA: `${base}.us-a.us.${zone}`,
  };
}
