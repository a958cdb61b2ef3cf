// The parts of dns-packet this library builds on: header and question layout, names, and the record data of the
// types dns-sync writes or reads. Its published types declare only whole-packet encode/decode, so the per-part
// codecs it also exports are typed here. What it lacks for UPDATE and TSIG is in wire.ts and tsig.ts: class NONE
// (it encodes unknown class names as 0), records with empty data (delete and prerequisite forms), the TSIG record,
// and the byte offsets of each record that a MAC needs.
import dnsPacket from "dns-packet";

interface PartCodec<T> {
  encode(value: T, buf?: Buffer, offset?: number): Buffer;
  decode(buf: Buffer, offset?: number): T;
  encodingLength(value: T): number;
}

interface DnsPacketParts {
  name: PartCodec<string> & { encode: { bytes: number }; decode: { bytes: number } };
  /** Record data codec of a type name; its encoding starts with the 2-byte RDLENGTH. */
  record(type: string): PartCodec<unknown> & { encode: { bytes: number }; decode: { bytes: number } };
  encode: typeof dnsPacket.encode;
  decode: typeof dnsPacket.decode;
}

export const packet = dnsPacket as unknown as DnsPacketParts;

/** Record types by number, the ones this library names; others are kept as numbers. */
export const TYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  TXT: 16,
  AAAA: 28,
  TSIG: 250,
  AXFR: 252,
  ANY: 255,
} as const;
export type TypeName = keyof typeof TYPE;

export const CLASS = { IN: 1, NONE: 254, ANY: 255 } as const;
export type ClassName = keyof typeof CLASS;

export const OPCODE = { QUERY: 0, UPDATE: 5 } as const;

const typeNames: ReadonlyMap<number, TypeName> = new Map(
  Object.entries(TYPE).map(([k, v]) => [v, k as TypeName] as const),
);
export const typeName = (n: number): string => typeNames.get(n) ?? `TYPE${n}`;

/** Record data as dns-packet represents it: an address or a name as a string, TXT as character strings. */
export type RecordData =
  | { readonly type: "A" | "AAAA" | "CNAME" | "NS"; readonly value: string }
  | { readonly type: "TXT"; readonly value: readonly string[] };

/** RDLENGTH + RDATA of one record. */
export function encodeRdata(data: RecordData): Buffer {
  const value = data.type === "TXT" ? data.value.map((s) => Buffer.from(s, "utf8")) : data.value;
  for (const s of data.type === "TXT" ? (value as Buffer[]) : [])
    if (s.length > 255) throw new RangeError("a TXT character string is at most 255 bytes");
  return Buffer.from(packet.record(data.type).encode(value));
}

/** A name in uncompressed wire form, lowercased: the canonical form RFC 8945 puts under the MAC. */
export function encodeName(name: string): Buffer {
  const fq = name === "." ? "" : name.endsWith(".") ? name.slice(0, -1) : name;
  // One allocation: the wire form is one byte longer than the dotted text (a length byte per label, the root).
  const wire = Buffer.alloc(fq === "" ? 1 : fq.length + 2);
  if (wire.length > 255) throw new RangeError(`invalid DNS name "${name}": longer than 255 bytes`);
  let at = 0;
  if (fq !== "")
    for (const label of fq.split(".")) {
      if (label.length === 0 || label.length > 63) throw new RangeError(`invalid DNS name "${name}": label length`);
      wire[at] = label.length;
      if (wire.write(label.toLowerCase(), at + 1, "latin1") !== label.length || /[^\x21-\x7e]/.test(label))
        throw new RangeError(`invalid DNS name "${name}": only printable ASCII`);
      at += label.length + 1;
    }
  wire[at] = 0;
  return wire;
}

/** Decodes a (possibly compressed) name at `offset`; returns it fully qualified with the trailing dot. */
export function decodeName(buf: Buffer, offset: number): { name: string; end: number } {
  const n = packet.name.decode(buf, offset);
  return { name: n === "." ? "." : `${n.toLowerCase()}.`, end: offset + packet.name.decode.bytes };
}
