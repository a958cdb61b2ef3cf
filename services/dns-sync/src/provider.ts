// What dns-sync asks of a DNS provider (CoreDNS via etcd v3, or an RFC 2136 server). The planner works in record
// sets; each provider stores them its own way and keeps its own ownership marker, so that listOwned never returns,
// and apply never changes, a record set another owner (another federation, a human) wrote.
//
// The record-set types live in the pure planner (@kubefed/dnsplan) and are re-exported here unchanged.
export type { Change, RecordSet, RecordType } from "@kubefed/dnsplan";
import type { Change, RecordSet } from "@kubefed/dnsplan";

export interface DnsProvider {
  /** "coredns" or "rfc2136", for logs and metrics. */
  readonly kind: string;
  /** Record sets in `zone` marked as written by `owner` (e.g. the federation's name), markers excluded. */
  listOwned(zone: string, owner: string): Promise<RecordSet[]>;
  /**
   * Applies the changes, writing or removing the ownership marker with each set. A set that exists with another
   * owner (or none) is not touched: the call fails with a FederationError naming it (code Conflict; a provider
   * that can name the refused sets puts each in `fieldErrors` with `field` = "<name> <type>", and applies the
   * others). Changes may be applied in more than one round trip; a crash midway leaves some applied, which the
   * next list-and-diff repairs.
   */
  apply(zone: string, owner: string, changes: readonly Change[]): Promise<void>;
  close(): Promise<void>;
}
