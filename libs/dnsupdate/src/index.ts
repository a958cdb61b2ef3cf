// @kubefed/dnsupdate: DNS UPDATE (RFC 2136) and zone transfer over TCP, signed and verified with TSIG (RFC 8945),
// on dns-packet's wire format.
export { DnsClient, type DnsClientOptions, type UpdateSession } from "./client.ts";
export { DnsError, PREREQUISITE_RCODES, RCODE, rcodeName, type RcodeName } from "./errors.ts";
export {
  DEFAULT_FUDGE,
  ResponseVerifier,
  TSIG_ALGORITHMS,
  findTsig,
  sign,
  tsigKey,
  type SignOptions,
  type TsigAlgorithm,
  type TsigFields,
  type TsigKey,
} from "./tsig.ts";
export { formatServer, type ServerAddress } from "./transport.ts";
export { encodeName, encodeRdata, type RecordData } from "./codec.ts";
export {
  encodeQuery,
  encodeUpdate,
  recordOf,
  sectionBytes,
  walkMessage,
  type Prerequisite,
  type UpdateMessage,
  type UpdateOp,
  type UpdateType,
  type WalkedMessage,
  type WalkedRecord,
  type ZoneRecord,
} from "./wire.ts";
