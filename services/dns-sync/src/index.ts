export type { Change, DnsProvider, RecordSet, RecordType } from "./provider.ts";
export { Rfc2136Provider, type Rfc2136Config, type Rfc2136ProviderOptions } from "./providers/rfc2136.ts";
