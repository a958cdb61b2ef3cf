/**
 * The `coredns` provider: record sets as SkyDNS JSON values in etcd v3, served by CoreDNS's etcd plugin.
 *
 * Layout. A name's key is its labels reversed under the prefix (`web.ns.fed.svc.example.com.` under `/skydns` is
 * `/skydns/com/example/svc/fed/ns/web`). The plugin answers an address query with every record below that key
 * (or, when there is none, the one at it), and a CNAME query with the record at the key only. So each address of
 * an A or AAAA set is one key below the name, `<name key>/a-10-0-0-1` ({"host":"10.0.0.1","ttl":30}) or
 * `<name key>/aaaa-fd00--1`, and a CNAME is the name's own key ({"host":"web.ns.fed.svc.example.com"}). Keys derive
 * from the values, so writing a set twice writes the same keys.
 *
 * Ownership. Each value carries `"kubefed-owner": "<owner>"` (CoreDNS ignores fields it does not know). listOwned
 * returns only values with the owner's marker; apply deletes only keys carrying it, and refuses to write a name
 * where any record without it exists (a human's or another federation's). Every write is one etcd transaction
 * guarded by the mod revision of each key it read (or its absence), so a record written by someone else between
 * the read and the write is never overwritten: the round is read and decided again.
 */
import { ErrorCode, FederationError } from "@kubefed/events";
import { setKey, type Change, type RecordSet, type RecordType } from "@kubefed/dnsplan";
import type { DnsProvider } from "../provider.ts";
import { EtcdGateway, prefixEnd, type Guard, type KeyValue, type TxnOp } from "./etcd.ts";

export const OWNER_FIELD = "kubefed-owner";

export interface CorednsProviderOptions {
  readonly etcdEndpoints: readonly string[];
  /** SkyDNS prefix, the `path` of CoreDNS's etcd plugin (default /skydns). */
  readonly prefix: string;
  /** Most operations in one etcd transaction (etcd's --max-txn-ops, 128 by default). */
  readonly maxTxnOps?: number;
  readonly timeoutMs?: number;
}

interface SkyDnsValue {
  host?: unknown;
  ttl?: unknown;
  [OWNER_FIELD]?: unknown;
}

/** Guarded rounds that lost a race are read and decided again this many times before giving up (retryable). */
const ROUND_ATTEMPTS = 5;

const strip = (name: string): string => (name.endsWith(".") ? name.slice(0, -1) : name);

export class CorednsProvider implements DnsProvider {
  readonly kind = "coredns";
  private readonly etcd: EtcdGateway;
  private readonly prefix: string;
  private readonly maxOps: number;

  constructor(o: CorednsProviderOptions) {
    this.etcd = new EtcdGateway(o.etcdEndpoints, o.timeoutMs);
    this.prefix = o.prefix.replace(/\/+$/, "");
    this.maxOps = o.maxTxnOps ?? 128;
  }

  /** The key of a name: its labels reversed under the prefix. */
  nameKey(name: string): string {
    return `${this.prefix}/${strip(name.toLowerCase()).split(".").reverse().join("/")}`;
  }

  /** The key of one value of a set. */
  valueKey(name: string, type: RecordType, value: string): string {
    if (type === "CNAME") return this.nameKey(name);
    return `${this.nameKey(name)}/${type.toLowerCase()}-${value.toLowerCase().replace(/[.:]/g, "-")}`;
  }

  /** True when `key` holds a value of the set of `name` and `type` (as `valueKey` lays them out). */
  private isOfSet(key: string, name: string, type: RecordType): boolean {
    const base = this.nameKey(name);
    return type === "CNAME" ? key === base : key.startsWith(`${base}/${type.toLowerCase()}-`);
  }

  private valueOf(set: RecordSet, value: string, owner: string): string {
    return JSON.stringify({ host: set.type === "CNAME" ? strip(value) : value, ttl: set.ttl, [OWNER_FIELD]: owner });
  }

  async listOwned(zone: string, owner: string): Promise<RecordSet[]> {
    const base = `${this.nameKey(zone)}/`;
    const kvs = await this.etcd.range(base, prefixEnd(base));
    const sets = new Map<string, { name: string; type: RecordType; ttls: Set<number>; values: Set<string> }>();
    for (const kv of kvs) {
      const parsed = this.parseOwned(kv, owner);
      if (!parsed) continue;
      const k = setKey(parsed);
      const s = sets.get(k) ?? { name: parsed.name, type: parsed.type, ttls: new Set(), values: new Set() };
      s.ttls.add(parsed.ttl);
      s.values.add(parsed.value);
      sets.set(k, s);
    }
    return [...sets.values()].map((s) => ({
      name: s.name,
      type: s.type,
      // Values of one set written with different TTLs (a write cut short): a TTL no plan has, so the diff rewrites it.
      ttl: s.ttls.size === 1 ? [...s.ttls][0]! : -1,
      values: [...s.values].sort(),
    }));
  }

  /** One of our values: its name (from the key), type and value; undefined for anything else. */
  private parseOwned(
    kv: KeyValue,
    owner: string,
  ): { name: string; type: RecordType; ttl: number; value: string } | undefined {
    let v: SkyDnsValue;
    try {
      v = JSON.parse(kv.value) as SkyDnsValue;
    } catch {
      return undefined;
    }
    if (typeof v !== "object" || v === null || v[OWNER_FIELD] !== owner || typeof v.host !== "string") return undefined;
    const segments = kv.key.slice(this.prefix.length + 1).split("/");
    const ttl = typeof v.ttl === "number" ? v.ttl : -1;
    const last = segments[segments.length - 1] ?? "";
    const address: RecordType | undefined = last.startsWith("aaaa-") ? "AAAA" : last.startsWith("a-") ? "A" : undefined;
    if (address !== undefined) {
      segments.pop();
      return { name: `${segments.reverse().join(".")}.`, type: address, ttl, value: v.host.toLowerCase() };
    }
    // A CNAME sits at the name's own key.
    return { name: `${segments.reverse().join(".")}.`, type: "CNAME", ttl, value: `${strip(v.host.toLowerCase())}.` };
  }

  async apply(_zone: string, owner: string, changes: readonly Change[]): Promise<void> {
    const refused: { field: string; message: string }[] = [];
    // Rounds of whole names (a name's changes are decided on one read), small enough for one transaction each.
    const byName = new Map<string, Change[]>();
    for (const c of changes) byName.set(c.set.name, [...(byName.get(c.set.name) ?? []), c]);
    const names = [...byName.keys()];
    const perRound = Math.max(1, Math.floor(this.maxOps / 2));
    for (let i = 0; i < names.length; i += perRound) {
      const round = names.slice(i, i + perRound).map((n) => [n, byName.get(n)!] as const);
      refused.push(...(await this.applyRound(owner, round)));
    }
    if (refused.length > 0)
      throw new FederationError(
        ErrorCode.Conflict,
        `refused to write ${refused.map((r) => r.field).join(", ")}: records of another owner exist at ${refused.length === 1 ? "that name" : "those names"}`,
        { fieldErrors: refused },
      );
  }

  /** Reads the names of a round, then writes them in one guarded transaction (split if too many operations). */
  private async applyRound(
    owner: string,
    round: readonly (readonly [string, Change[]])[],
  ): Promise<{ field: string; message: string }[]> {
    for (let attempt = 1; ; attempt++) {
      const reads: TxnOp[] = round.flatMap(([name]) => {
        const key = this.nameKey(name);
        return [{ range: key }, { range: `${key}/`, rangeEnd: prefixEnd(`${key}/`) }];
      });
      const results = (await this.etcd.txn([], reads))!;
      const refused: { field: string; message: string }[] = [];
      const guards = new Map<string, Guard>();
      const ops = new Map<string, TxnOp>();
      round.forEach(([name, cs], i) => {
        const present = [...results[2 * i]!, ...results[2 * i + 1]!];
        const foreign = present.filter((kv) => !this.isOwnedBy(kv, owner));
        const ours = new Map(present.filter((kv) => this.isOwnedBy(kv, owner)).map((kv) => [kv.key, kv]));
        for (const c of cs) {
          const oursOfType = [...ours.values()].filter((kv) => this.isOfSet(kv.key, name, c.set.type));
          if (c.action === "delete") {
            for (const kv of oursOfType) {
              guards.set(kv.key, { key: kv.key, modRevision: kv.modRevision });
              ops.set(kv.key, { delete: kv.key });
            }
            continue;
          }
          if (foreign.length > 0) {
            refused.push({
              field: setKey(c.set),
              message: `${foreign.length} record(s) of another owner at ${foreign[0]!.key}`,
            });
            continue;
          }
          const wanted = new Set(c.set.values.map((v) => this.valueKey(name, c.set.type, v)));
          for (const kv of oursOfType)
            if (!wanted.has(kv.key)) {
              guards.set(kv.key, { key: kv.key, modRevision: kv.modRevision });
              ops.set(kv.key, { delete: kv.key });
            }
          for (const v of c.set.values) {
            const key = this.valueKey(name, c.set.type, v);
            const value = this.valueOf(c.set, v, owner);
            const old = ours.get(key);
            if (old?.value === value) continue;
            guards.set(key, { key, modRevision: old?.modRevision ?? "0" });
            ops.set(key, { put: key, value });
          }
        }
        // A record of another owner written at the name's own key meanwhile must not be missed: guard its absence.
        const own = this.nameKey(name);
        if (!present.some((kv) => kv.key === own) && !guards.has(own)) guards.set(own, { key: own, modRevision: "0" });
      });
      if (ops.size === 0) return refused;
      if (await this.write([...guards.values()], [...ops.values()])) return refused;
      if (attempt >= ROUND_ATTEMPTS)
        throw new FederationError(
          ErrorCode.Conflict,
          `etcd keys under ${this.prefix} kept changing while being written`,
          {
            retryable: true,
          },
        );
    }
  }

  /** Writes guarded operations, in as many transactions as the operation limit needs; false when a guard failed. */
  private async write(guards: Guard[], ops: TxnOp[]): Promise<boolean> {
    if (guards.length <= this.maxOps && ops.length <= this.maxOps)
      return (await this.etcd.txn(guards, ops)) !== undefined;
    // Too big for one transaction: by key, so that each part carries the guards of its own keys.
    const keyOf = (op: TxnOp) => ("put" in op ? op.put : "delete" in op ? op.delete : op.range);
    const half = Math.ceil(ops.length / 2);
    const parts = [ops.slice(0, half), ops.slice(half)];
    for (const part of parts) {
      const keys = new Set(part.map(keyOf));
      if (
        !(await this.write(
          guards.filter((g) => keys.has(g.key)),
          part,
        ))
      )
        return false;
    }
    return true;
  }

  private isOwnedBy(kv: KeyValue, owner: string): boolean {
    try {
      const v = JSON.parse(kv.value) as SkyDnsValue;
      return typeof v === "object" && v !== null && v[OWNER_FIELD] === owner;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {}
}
