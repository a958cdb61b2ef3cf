// What dns-sync asks of a DNS provider (CoreDNS via etcd v3, or an RFC 2136 server). The planner works in record
// sets; each provider stores them its own way and keeps its own ownership marker, so that listOwned never returns,
// and apply never changes, a record set another owner (another federation, a human) wrote.

export type RecordType = "A" | "AAAA" | "CNAME";

/** All the records of one name and type. `name` is fully qualified, lowercase, with the trailing dot. */
export interface RecordSet {
  readonly name: string;
  readonly type: RecordType;
  readonly ttl: number;
  /** Addresses for A/AAAA, one target name (with trailing dot) for CNAME; sorted, no duplicates. */
  readonly values: readonly string[];
}

export type Change =
  { readonly action: "upsert"; readonly set: RecordSet } | { readonly action: "delete"; readonly set: RecordSet };

export interface DnsProvider {
  /** "coredns" or "rfc2136", for logs and metrics. */
  readonly kind: string;
  /** Record sets in `zone` marked as written by `owner` (e.g. the federation's name), markers excluded. */
  listOwned(zone: string, owner: string): Promise<RecordSet[]>;
  /**
   * Applies the changes, writing or removing the ownership marker with each set. A set that exists with another
   * owner (or none) is not touched: the call fails with a FederationError naming it. Changes may be applied in
   * more than one round trip; a crash midway leaves some applied, which the next list-and-diff repairs.
   */
  apply(zone: string, owner: string, changes: readonly Change[]): Promise<void>;
  close(): Promise<void>;
}
