// DNS UPDATE messages (RFC 2136) in wire form, and a walker that finds where each record of a received message
// starts and ends (TSIG verification works on those raw bytes, not on a re-encoding).
import { ErrorCode } from "@kubefed/events";
import { DnsError } from "./errors.ts";
import {
  CLASS,
  OPCODE,
  TYPE,
  decodeName,
  encodeName,
  encodeRdata,
  packet,
  typeName,
  type RecordData,
} from "./codec.ts";

export type UpdateType = "A" | "AAAA" | "CNAME" | "TXT";

/** RFC 2136 section 2.4: conditions the server checks before applying any update of the message. */
export type Prerequisite =
  | { readonly kind: "rrsetExists"; readonly name: string; readonly type: UpdateType }
  /** The RRset of the records' type at `name` is exactly these records. */
  | { readonly kind: "rrsetEquals"; readonly name: string; readonly records: readonly RecordData[] }
  | { readonly kind: "rrsetAbsent"; readonly name: string; readonly type: UpdateType }
  | { readonly kind: "nameInUse"; readonly name: string }
  | { readonly kind: "nameNotInUse"; readonly name: string };

/** RFC 2136 section 2.5, applied in order once every prerequisite holds. */
export type UpdateOp =
  | { readonly kind: "add"; readonly name: string; readonly ttl: number; readonly data: RecordData }
  | { readonly kind: "deleteRrset"; readonly name: string; readonly type: UpdateType }
  | { readonly kind: "deleteName"; readonly name: string }
  | { readonly kind: "deleteRecord"; readonly name: string; readonly data: RecordData };

export interface UpdateMessage {
  /** The zone, fully qualified with the trailing dot. */
  readonly zone: string;
  readonly prerequisites: readonly Prerequisite[];
  readonly updates: readonly UpdateOp[];
}

const EMPTY_RDATA = Buffer.from([0, 0]);

function rr(name: string, type: number, klass: number, ttl: number, rdata: Buffer = EMPTY_RDATA): Buffer {
  const owner = encodeName(name);
  const fixed = Buffer.alloc(8);
  fixed.writeUInt16BE(type, 0);
  fixed.writeUInt16BE(klass, 2);
  fixed.writeUInt32BE(ttl, 4);
  return Buffer.concat([owner, fixed, rdata]);
}

// Encodings by object: a batcher sizes each entry (sectionBytes) and then sends it (encodeUpdate); each entry is
// encoded once. Entries are immutable (readonly), so a cached encoding stays right.
const encodedPrerequisites = new WeakMap<Prerequisite, Buffer[]>();
const encodedUpdates = new WeakMap<UpdateOp, Buffer>();

function prerequisiteRrs(p: Prerequisite): Buffer[] {
  let b = encodedPrerequisites.get(p);
  if (!b) encodedPrerequisites.set(p, (b = encodePrerequisite(p)));
  return b;
}

function updateRr(u: UpdateOp): Buffer {
  let b = encodedUpdates.get(u);
  if (!b) encodedUpdates.set(u, (b = encodeUpdateOp(u)));
  return b;
}

function encodePrerequisite(p: Prerequisite): Buffer[] {
  switch (p.kind) {
    case "rrsetExists":
      return [rr(p.name, TYPE[p.type], CLASS.ANY, 0)];
    case "rrsetEquals":
      return p.records.map((d) => rr(p.name, TYPE[d.type], CLASS.IN, 0, encodeRdata(d)));
    case "rrsetAbsent":
      return [rr(p.name, TYPE[p.type], CLASS.NONE, 0)];
    case "nameInUse":
      return [rr(p.name, TYPE.ANY, CLASS.ANY, 0)];
    case "nameNotInUse":
      return [rr(p.name, TYPE.ANY, CLASS.NONE, 0)];
    default:
      return unreachable(p);
  }
}

function encodeUpdateOp(u: UpdateOp): Buffer {
  switch (u.kind) {
    case "add":
      if (!Number.isInteger(u.ttl) || u.ttl < 0 || u.ttl > 0x7fffffff) throw new RangeError(`invalid TTL ${u.ttl}`);
      return rr(u.name, TYPE[u.data.type], CLASS.IN, u.ttl, encodeRdata(u.data));
    case "deleteRrset":
      return rr(u.name, TYPE[u.type], CLASS.ANY, 0);
    case "deleteName":
      return rr(u.name, TYPE.ANY, CLASS.ANY, 0);
    case "deleteRecord":
      return rr(u.name, TYPE[u.data.type], CLASS.NONE, 0, encodeRdata(u.data));
    default:
      return unreachable(u);
  }
}

function unreachable(x: never): never {
  throw new Error(`unexpected ${JSON.stringify(x)}`);
}

function header(id: number, opcode: number, counts: [number, number, number, number]): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(opcode << 11, 2);
  counts.forEach((c, i) => {
    if (c > 0xffff) throw new RangeError("too many records for one DNS message");
    h.writeUInt16BE(c, 4 + 2 * i);
  });
  return h;
}

function question(name: string, type: number, klass: number): Buffer {
  const q = Buffer.alloc(4);
  q.writeUInt16BE(type, 0);
  q.writeUInt16BE(klass, 2);
  return Buffer.concat([encodeName(name), q]);
}

/** The wire form of an UPDATE (no TSIG yet): zone section, prerequisites, updates, no additional records. */
export function encodeUpdate(id: number, msg: UpdateMessage): Buffer {
  const pre = msg.prerequisites.flatMap(prerequisiteRrs);
  const upd = msg.updates.map(updateRr);
  return Buffer.concat([
    header(id, OPCODE.UPDATE, [1, pre.length, upd.length, 0]),
    question(msg.zone, TYPE.SOA, CLASS.IN),
    ...pre,
    ...upd,
  ]);
}

/** Bytes the prerequisites and updates add to a message: what a batcher adds up to bound a message's size. */
export function sectionBytes(prerequisites: readonly Prerequisite[], updates: readonly UpdateOp[]): number {
  let n = 0;
  for (const p of prerequisites) for (const b of prerequisiteRrs(p)) n += b.length;
  for (const u of updates) n += updateRr(u).length;
  return n;
}

/** A standard query (one question), e.g. AXFR or SOA. */
export function encodeQuery(id: number, name: string, type: keyof typeof TYPE): Buffer {
  return Buffer.concat([header(id, OPCODE.QUERY, [1, 0, 0, 0]), question(name, TYPE[type], CLASS.IN)]);
}

export interface WalkedRecord {
  readonly section: "answer" | "authority" | "additional";
  readonly name: string;
  readonly type: number;
  readonly klass: number;
  readonly ttl: number;
  /** Offset of the owner name (the record's first byte) and one past its last byte. */
  readonly start: number;
  readonly end: number;
  /** Offset of RDLENGTH: dns-packet's record data codecs start there. */
  readonly rdlengthAt: number;
}

export interface WalkedMessage {
  readonly id: number;
  readonly response: boolean;
  readonly opcode: number;
  /** The header's 4-bit RCODE. */
  readonly rcode: number;
  readonly questions: number;
  readonly records: readonly WalkedRecord[];
}

/** Finds every record's offsets; a truncated or malformed message is an Invalid DnsError. */
export function walkMessage(buf: Buffer): WalkedMessage {
  try {
    return walk(buf);
  } catch (e) {
    throw new DnsError(ErrorCode.Invalid, `malformed DNS message: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function walk(buf: Buffer): WalkedMessage {
  if (buf.length < 12) throw new RangeError("DNS message shorter than its header");
  const flags = buf.readUInt16BE(2);
  const counts = [4, 6, 8, 10].map((o) => buf.readUInt16BE(o));
  let offset = 12;
  for (let i = 0; i < counts[0]!; i++) offset = decodeName(buf, offset).end + 4;
  const records: WalkedRecord[] = [];
  const sections = ["answer", "authority", "additional"] as const;
  sections.forEach((section, s) => {
    for (let i = 0; i < counts[s + 1]!; i++) {
      const start = offset;
      const { name, end } = decodeName(buf, offset);
      if (end + 10 > buf.length) throw new RangeError("DNS record truncated");
      const rdlength = buf.readUInt16BE(end + 8);
      offset = end + 10 + rdlength;
      if (offset > buf.length) throw new RangeError("DNS record data truncated");
      records.push({
        section,
        name,
        type: buf.readUInt16BE(end),
        klass: buf.readUInt16BE(end + 2),
        ttl: buf.readUInt32BE(end + 4),
        start,
        end: offset,
        rdlengthAt: end + 8,
      });
    }
  });
  if (offset !== buf.length) throw new RangeError("DNS message has trailing bytes");
  return {
    id: buf.readUInt16BE(0),
    response: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    rcode: flags & 0xf,
    questions: counts[0]!,
    records,
  };
}

/** A record of a received message as data, for the types this library reads; others keep raw RDATA. */
export interface ZoneRecord {
  readonly name: string;
  readonly type: string;
  readonly ttl: number;
  /** A/AAAA: the address; CNAME/NS: the target with trailing dot; TXT: the character strings joined. */
  readonly value: string;
}

export function recordOf(buf: Buffer, r: WalkedRecord): ZoneRecord {
  const type = typeName(r.type);
  let value: string;
  switch (type) {
    case "A":
    case "AAAA":
      value = String(packet.record(type).decode(buf, r.rdlengthAt));
      break;
    case "CNAME":
    case "NS": {
      const target = String(packet.record(type).decode(buf, r.rdlengthAt));
      value = target === "." ? "." : `${target.toLowerCase()}.`;
      break;
    }
    case "TXT":
      value = (packet.record("TXT").decode(buf, r.rdlengthAt) as Buffer[]).map((b) => b.toString("utf8")).join("");
      break;
    default:
      value = buf.subarray(r.rdlengthAt + 2, r.end).toString("hex");
  }
  return { name: r.name, type, ttl: r.ttl, value };
}
