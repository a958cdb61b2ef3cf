// TSIG (RFC 8945): signing a request and verifying the signed answers, including the multi-message answers of a
// zone transfer. The MAC is computed over the raw bytes of each message as sent or received, never over a
// re-encoding, so a server's choice of name compression or record order cannot change what is verified.
import { createHmac, timingSafeEqual } from "node:crypto";
import { ErrorCode } from "@kubefed/events";
import { TSIG_ALGORITHMS, type TsigAlgorithm } from "@kubefed/config";
import { CLASS, TYPE, decodeName, encodeName } from "./codec.ts";
import { DnsError, RCODE, refusal, rcodeName } from "./errors.ts";
import type { WalkedMessage, WalkedRecord } from "./wire.ts";

export { TSIG_ALGORITHMS, type TsigAlgorithm };

const HASHES: Readonly<Record<TsigAlgorithm, string>> = {
  "hmac-sha1": "sha1",
  "hmac-sha224": "sha224",
  "hmac-sha256": "sha256",
  "hmac-sha384": "sha384",
  "hmac-sha512": "sha512",
};

export interface TsigKey {
  /** The key's name as the server knows it, e.g. "kubefed-update." (compared case-insensitively). */
  readonly name: string;
  readonly algorithm: TsigAlgorithm;
  readonly secret: Buffer;
}

/** RFC 8945 recommends 300 s. */
export const DEFAULT_FUDGE = 300;

/** Parses a key's secret as BIND's and Knot's configurations write it (base64); refuses an empty one. */
export function tsigKey(name: string, algorithm: string, base64Secret: string): TsigKey {
  if (!(TSIG_ALGORITHMS as readonly string[]).includes(algorithm))
    throw new DnsError(
      ErrorCode.Invalid,
      `unsupported TSIG algorithm "${algorithm}": use one of ${TSIG_ALGORITHMS.join(", ")}`,
    );
  const trimmed = base64Secret.trim();
  const secret = Buffer.from(trimmed, "base64");
  if (
    trimmed === "" ||
    secret.length === 0 ||
    secret.toString("base64").replace(/=+$/, "") !== trimmed.replace(/=+$/, "")
  )
    throw new DnsError(ErrorCode.Invalid, `the secret of TSIG key "${name}" is not base64`);
  encodeName(name); // throws on a malformed name
  return {
    name: name.endsWith(".") ? name.toLowerCase() : `${name.toLowerCase()}.`,
    algorithm: algorithm as TsigAlgorithm,
    secret,
  };
}

/** The TSIG record's fields (RFC 8945 section 4.2). */
export interface TsigFields {
  readonly keyName: string;
  readonly algorithm: string;
  /** Seconds since the epoch (48 bits on the wire). */
  readonly timeSigned: number;
  readonly fudge: number;
  readonly mac: Buffer;
  readonly originalId: number;
  readonly error: number;
  readonly otherData: Buffer;
}

function uint48(n: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUIntBE(n, 0, 6);
  return b;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n, 0);
  return b;
}

/** The TSIG variables of RFC 8945 section 4.3.3 (`timersOnly` for the later messages of a stream, 5.3.1). */
function variables(f: Omit<TsigFields, "mac" | "originalId">, timersOnly: boolean): Buffer {
  const timers = Buffer.concat([uint48(f.timeSigned), u16(f.fudge)]);
  if (timersOnly) return timers;
  const ttlAndClass = Buffer.alloc(6);
  ttlAndClass.writeUInt16BE(CLASS.ANY, 0); // class ANY, TTL 0
  return Buffer.concat([
    encodeName(f.keyName),
    ttlAndClass,
    encodeName(f.algorithm),
    timers,
    u16(f.error),
    u16(f.otherData.length),
    f.otherData,
  ]);
}

function hmac(key: TsigKey, parts: readonly Buffer[]): Buffer {
  const h = createHmac(HASHES[key.algorithm], key.secret);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** The message as it was before its TSIG record was added: ARCOUNT one less, the original ID. */
function unsigned(buf: Buffer, tsig: WalkedRecord, originalId: number): Buffer {
  const m = Buffer.from(buf.subarray(0, tsig.start));
  m.writeUInt16BE(originalId, 0);
  m.writeUInt16BE(m.readUInt16BE(10) - 1, 10);
  return m;
}

function encodeTsigRecord(f: TsigFields): Buffer {
  const rdata = Buffer.concat([
    encodeName(f.algorithm),
    uint48(f.timeSigned),
    u16(f.fudge),
    u16(f.mac.length),
    f.mac,
    u16(f.originalId),
    u16(f.error),
    u16(f.otherData.length),
    f.otherData,
  ]);
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(TYPE.TSIG, 0);
  fixed.writeUInt16BE(CLASS.ANY, 2);
  fixed.writeUInt32BE(0, 4);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([encodeName(f.keyName), fixed, rdata]);
}

export interface SignOptions {
  /** Seconds since the epoch. */
  readonly timeSigned: number;
  readonly fudge?: number;
  /** For a response: the MAC of the request it answers, or of the previous signed message of a stream. */
  readonly requestMac?: Buffer;
  /** A later message of a stream (RFC 8945 section 5.3.1): only the timers are signed, after the unsigned messages since the last signed one. */
  readonly continuation?: { readonly unsignedSince: readonly Buffer[] };
  readonly error?: number;
  readonly otherData?: Buffer;
}

/** Appends a TSIG record to a message that has none; returns the signed message and its MAC. */
export function sign(message: Buffer, key: TsigKey, opts: SignOptions): { wire: Buffer; mac: Buffer } {
  const fields = {
    keyName: key.name,
    algorithm: `${key.algorithm}.`,
    timeSigned: opts.timeSigned,
    fudge: opts.fudge ?? DEFAULT_FUDGE,
    error: opts.error ?? 0,
    otherData: opts.otherData ?? Buffer.alloc(0),
  };
  const prior = opts.requestMac ? [u16(opts.requestMac.length), opts.requestMac] : [];
  const since = opts.continuation?.unsignedSince ?? [];
  const mac = hmac(key, [...prior, ...since, message, variables(fields, opts.continuation !== undefined)]);
  const wire = Buffer.concat([message, encodeTsigRecord({ ...fields, mac, originalId: message.readUInt16BE(0) })]);
  wire.writeUInt16BE(message.readUInt16BE(10) + 1, 10);
  return { wire, mac };
}

/** Reads the TSIG record of a message: the last additional record, the only place RFC 8945 allows it. */
export function findTsig(buf: Buffer, walked: WalkedMessage): { record: WalkedRecord; fields: TsigFields } | undefined {
  const records = walked.records;
  const i = records.findIndex((r) => r.type === TYPE.TSIG);
  if (i < 0) return undefined;
  const record = records[i]!;
  if (i !== records.length - 1 || record.section !== "additional")
    throw new DnsError(ErrorCode.Invalid, "malformed response: a TSIG record that is not the last additional record");
  let o = record.rdlengthAt + 2;
  const alg = decodeName(buf, o);
  o = alg.end;
  const timeSigned = buf.readUIntBE(o, 6);
  const fudge = buf.readUInt16BE(o + 6);
  const macSize = buf.readUInt16BE(o + 8);
  const mac = Buffer.from(buf.subarray(o + 10, o + 10 + macSize));
  o += 10 + macSize;
  const originalId = buf.readUInt16BE(o);
  const error = buf.readUInt16BE(o + 2);
  const otherLen = buf.readUInt16BE(o + 4);
  const otherData = Buffer.from(buf.subarray(o + 6, o + 6 + otherLen));
  if (o + 6 + otherLen !== record.end) throw new DnsError(ErrorCode.Invalid, "malformed response: TSIG record length");
  return {
    record,
    fields: { keyName: record.name, algorithm: alg.name, timeSigned, fudge, mac, originalId, error, otherData },
  };
}

/** RFC 8945 section 5.2.2.1: a truncated MAC is accepted down to half the hash length and at least 10 bytes. */
function macMatches(expected: Buffer, received: Buffer): boolean {
  const min = Math.max(10, Math.ceil(expected.length / 2));
  if (received.length < min || received.length > expected.length) return false;
  return timingSafeEqual(expected.subarray(0, received.length), received);
}

/**
 * Verifies the answers to one signed request, message by message. The first and the last message must be signed;
 * a transfer may leave up to 99 messages unsigned between signed ones, each then covered by the next MAC.
 */
export class ResponseVerifier {
  private priorMac: Buffer;
  private pending: Buffer[] = [];
  private signedSeen = 0;

  constructor(
    private readonly key: TsigKey,
    requestMac: Buffer,
    private readonly what: string,
    /** Seconds since the epoch. */
    private readonly now: () => number,
  ) {
    this.priorMac = requestMac;
  }

  /** Checks one received message; throws a DnsError when it is unsigned where it must be, or does not verify. */
  accept(buf: Buffer, walked: WalkedMessage, last: boolean): void {
    const found = findTsig(buf, walked);
    if (found === undefined) {
      // The server answers an unknown key or a bad signature unsigned: its RCODE (NOTAUTH) says why.
      if (this.signedSeen === 0 && walked.rcode !== RCODE.NOERROR) throw refusal(walked.rcode, this.what);
      if (this.signedSeen === 0 || last || this.pending.length >= 99)
        throw new DnsError(ErrorCode.Unauthorized, `${this.what}: the response is not TSIG-signed`);
      this.pending.push(buf);
      return;
    }
    const { record, fields } = found;
    if (fields.keyName !== this.key.name || fields.algorithm !== `${this.key.algorithm}.`)
      throw new DnsError(
        ErrorCode.Unauthorized,
        `${this.what}: the response is signed with key ${fields.keyName} (${fields.algorithm}), not ${this.key.name}`,
      );
    // BADKEY and BADSIG answers carry an empty MAC (the server could not sign with a key it rejects).
    if (fields.error === RCODE.BADKEY || fields.error === RCODE.BADSIG) throw refusal(fields.error, this.what);
    const first = this.signedSeen === 0;
    const expected = hmac(this.key, [
      u16(this.priorMac.length),
      this.priorMac,
      ...this.pending,
      unsigned(buf, record, fields.originalId),
      variables(fields, !first),
    ]);
    if (!macMatches(expected, fields.mac))
      throw new DnsError(
        ErrorCode.Unauthorized,
        `${this.what}: the response's TSIG signature does not verify (MAC mismatch)`,
        "BADSIG",
      );
    if (fields.error === RCODE.BADTIME) {
      const serverTime = fields.otherData.length === 6 ? fields.otherData.readUIntBE(0, 6) : undefined;
      throw refusal(
        fields.error,
        this.what,
        serverTime === undefined ? "" : `server time ${serverTime}, ours ${Math.floor(this.now())}`,
      );
    }
    if (fields.error !== 0) throw refusal(fields.error, this.what, `TSIG error ${rcodeName(fields.error)}`);
    const skew = Math.abs(this.now() - fields.timeSigned);
    if (skew > fields.fudge)
      throw new DnsError(
        ErrorCode.Unauthorized,
        `${this.what}: the response was signed ${Math.round(skew)} s away from our clock, more than its fudge of ${fields.fudge} s`,
        "BADTIME",
      );
    this.priorMac = fields.mac;
    this.pending = [];
    this.signedSeen += 1;
  }
}
