// The RFC 2136 provider: record sets in a zone of an authoritative server (BIND 9, Knot) that takes TSIG-signed
// dynamic updates, listed by AXFR. Ownership is a TXT marker per set (rfc2136-owner.ts says how it is named);
// every change is guarded by prerequisites on it, so records of another owner are never changed.
import { readFileSync } from "node:fs";
import { isIPv4, isIPv6 } from "node:net";
import { ErrorCode, FederationError, toFederationError, type FieldCause } from "@kubefed/events";
import {
  DnsClient,
  DnsError,
  PREREQUISITE_RCODES,
  encodeName,
  sectionBytes,
  tsigKey,
  type ServerAddress,
  type TsigAlgorithm,
  type TsigKey,
  type UpdateSession,
} from "@kubefed/dnsupdate";
import type { Change, DnsProvider, RecordSet, RecordType } from "../provider.ts";
import { forms, markerName, ownedSets, planChange, setKey, type PlannedChange } from "./rfc2136-owner.ts";

export interface Rfc2136ProviderOptions {
  readonly server: ServerAddress;
  readonly key: TsigKey;
  /** For connecting and for each answer; default 5000 ms. */
  readonly timeoutMs?: number;
  /** Upper bound of one UPDATE message (TCP allows 65535 bytes); default 32768. A set larger than it goes alone. */
  readonly maxMessageBytes?: number;
}

/** What libs/config's rfc2136 provider settings hold. */
export interface Rfc2136Config {
  readonly server: ServerAddress;
  readonly tsig: { readonly keyName: string; readonly algorithm: TsigAlgorithm; readonly secretFile: string };
}

const DEFAULT_MAX_MESSAGE_BYTES = 32 * 1024;
const RECORD_TYPES: ReadonlySet<string> = new Set<RecordType>(["A", "AAAA", "CNAME"]);
const OWNER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

const invalid = (message: string) => new FederationError(ErrorCode.Invalid, message);

function checkZone(zone: string): void {
  if (!zone.endsWith(".") || zone === ".")
    throw invalid(`zone name "${zone}" must be fully qualified with a trailing dot, e.g. "example.com."`);
  if (zone !== zone.toLowerCase()) throw invalid(`zone name "${zone}" must be lowercase`);
  try {
    encodeName(zone);
  } catch (e) {
    throw invalid(`zone name "${zone}" is not a valid DNS name: ${toFederationError(e).message}`);
  }
}

function checkOwner(owner: string): void {
  if (!OWNER.test(owner))
    throw invalid(`owner "${owner}" must be 1-200 characters of letters, digits, '.', '_' and '-'`);
}

function checkSet(zone: string, change: Change): void {
  const { set } = change;
  const what = `record set ${setKey(set)}`;
  if (!RECORD_TYPES.has(set.type)) throw invalid(`${what}: type must be A, AAAA or CNAME`);
  if (set.name !== set.name.toLowerCase() || !set.name.endsWith("."))
    throw invalid(`${what}: the name must be lowercase and fully qualified with a trailing dot`);
  if (set.name !== zone && !set.name.endsWith(`.${zone}`)) throw invalid(`${what}: the name is outside zone ${zone}`);
  if (!Number.isInteger(set.ttl) || set.ttl < 0 || set.ttl > 0x7fffffff)
    throw invalid(`${what}: invalid TTL ${set.ttl}`);
  if (change.action === "upsert" && set.values.length === 0)
    throw invalid(`${what}: an upsert needs at least one value`);
  if (set.type === "CNAME" && change.action === "upsert" && set.values.length !== 1)
    throw invalid(`${what}: a CNAME has exactly one target`);
  try {
    // The marker's name is the longest this change writes. dns-packet encodes any string as an address, so
    // addresses are checked here.
    encodeName(markerName(set));
    if (change.action === "upsert")
      for (const value of set.values) {
        const ok = set.type === "A" ? isIPv4(value) : set.type === "AAAA" ? isIPv6(value) : value.endsWith(".");
        if (!ok)
          throw new RangeError(
            `"${value}" is not ${set.type === "CNAME" ? "a name with a trailing dot" : `an ${set.type} address`}`,
          );
        if (set.type === "CNAME") encodeName(value);
      }
  } catch (e) {
    throw invalid(`${what}: ${toFederationError(e).message}`);
  }
}

/** Changes grouped by name, each group's deletes first: a name's changes always travel in one message. */
function groupByName(changes: readonly Change[]): Change[][] {
  const groups = new Map<string, Change[]>();
  for (const c of changes) {
    const g = groups.get(c.set.name);
    if (g) g.push(c);
    else groups.set(c.set.name, [c]);
  }
  return [...groups.values()].map((g) => [
    ...g.filter((c) => c.action === "delete"),
    ...g.filter((c) => c.action === "upsert"),
  ]);
}

export class Rfc2136Provider implements DnsProvider {
  readonly kind = "rfc2136";
  private readonly client: DnsClient;
  private readonly maxMessageBytes: number;
  private readonly overheadBytes: number;
  /** Sets believed owned, by zone and owner: which form to try first. The prerequisites decide, not this. */
  private readonly believed = new Map<string, Set<string>>();

  constructor(private readonly opts: Rfc2136ProviderOptions) {
    this.client = new DnsClient({ server: opts.server, key: opts.key, timeoutMs: opts.timeoutMs });
    this.maxMessageBytes = Math.min(opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES, 0xffff);
    // Header, and a TSIG record with the longest MAC (SHA-512); the zone's name is added per message.
    this.overheadBytes = 12 + 4 + encodeName(opts.key.name).length + 10 + 16 + 13 + 64 + 8;
  }

  /** Reads the secret file the configuration names; an unreadable or malformed one is an Invalid error. */
  static fromConfig(
    config: Rfc2136Config,
    options: Omit<Rfc2136ProviderOptions, "server" | "key"> = {},
  ): Rfc2136Provider {
    let secret: string;
    try {
      secret = readFileSync(config.tsig.secretFile, "utf8");
    } catch (e) {
      throw invalid(`cannot read the TSIG secret file ${config.tsig.secretFile}: ${toFederationError(e).message}`);
    }
    return new Rfc2136Provider({
      ...options,
      server: config.server,
      key: tsigKey(config.tsig.keyName, config.tsig.algorithm, secret),
    });
  }

  private believedOwned(zone: string, owner: string): Set<string> {
    const k = `${zone} ${owner}`;
    let s = this.believed.get(k);
    if (!s) this.believed.set(k, (s = new Set()));
    return s;
  }

  async listOwned(zone: string, owner: string): Promise<RecordSet[]> {
    checkZone(zone);
    checkOwner(owner);
    const { sets, orphans } = ownedSets(await this.client.transfer(zone), owner);
    const believed = this.believedOwned(zone, owner);
    believed.clear();
    for (const k of [...sets.map(setKey), ...orphans]) believed.add(k);
    return sets;
  }

  async apply(zone: string, owner: string, changes: readonly Change[]): Promise<void> {
    checkZone(zone);
    checkOwner(owner);
    for (const c of changes) checkSet(zone, c);
    if (changes.length === 0) return;
    const believed = this.believedOwned(zone, owner);
    const limit = this.maxMessageBytes - this.overheadBytes - encodeName(zone).length;
    const refused: FieldCause[] = [];
    const session = await this.client.session();
    try {
      let batch: PlannedChange[] = [];
      let bytes = 0;
      const flush = async () => {
        if (batch.length > 0) await this.send(session, zone, owner, batch, believed, refused);
        batch = [];
        bytes = 0;
      };
      for (const group of groupByName(changes)) {
        const deleted = new Set(group.filter((c) => c.action === "delete").map((c) => c.set.type));
        const planned = group.map((c) => planChange(c, owner, forms(c, believed.has(setKey(c.set)))[0], deleted));
        const size = planned.reduce((n, p) => n + sectionBytes(p.prerequisites, p.updates), 0);
        if (bytes > 0 && bytes + size > limit) await flush();
        batch.push(...planned);
        bytes += size;
      }
      await flush();
    } finally {
      session.close();
    }
    if (refused.length > 0)
      throw new FederationError(
        ErrorCode.Conflict,
        `${refused.length} record set(s) in zone ${zone} left alone, the others applied: ${refused
          .slice(0, 3)
          .map((f) => f.field)
          .join(", ")}${refused.length > 3 ? ", ..." : ""}: ${refused[0]!.message}`,
        { fieldErrors: refused },
      );
  }

  /** One message; when a prerequisite fails, each change alone, in both forms, to find the ones that cannot go. */
  private async send(
    session: UpdateSession,
    zone: string,
    owner: string,
    batch: PlannedChange[],
    believed: Set<string>,
    refused: FieldCause[],
  ): Promise<void> {
    const remember = (c: Change) =>
      c.action === "upsert" ? believed.add(setKey(c.set)) : believed.delete(setKey(c.set));
    try {
      await session.update({
        zone,
        prerequisites: batch.flatMap((p) => p.prerequisites),
        updates: batch.flatMap((p) => p.updates),
      });
      for (const p of batch) remember(p.change);
      return;
    } catch (e) {
      if (!prerequisiteFailed(e)) throw e;
    }
    for (const { change } of batch) {
      let done = false;
      for (const form of forms(change, believed.has(setKey(change.set)))) {
        const p = planChange(change, owner, form, new Set());
        try {
          await session.update({ zone, prerequisites: p.prerequisites, updates: p.updates });
          done = true;
          break;
        } catch (e) {
          if (!prerequisiteFailed(e)) throw e;
        }
      }
      if (done) remember(change);
      else
        refused.push({
          field: setKey(change.set),
          message: "records without this owner's marker are at that name (another owner's, or written by hand)",
        });
    }
  }

  async close(): Promise<void> {
    // Each apply and listing uses a connection of its own, closed when it ends: nothing stays open.
  }
}

const prerequisiteFailed = (e: unknown): boolean => e instanceof DnsError && PREREQUISITE_RCODES.has(e.rcode ?? "");
