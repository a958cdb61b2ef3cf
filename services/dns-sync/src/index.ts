// services/dns-sync: the process is main.ts; these are what tests and the benchmark drive directly.
export type { Change, DnsProvider, RecordSet, RecordType } from "./provider.ts";
export { CorednsProvider, OWNER_FIELD } from "./providers/coredns.ts";
export { EtcdGateway } from "./providers/etcd.ts";
export { Rfc2136Provider, type Rfc2136Config, type Rfc2136ProviderOptions } from "./providers/rfc2136.ts";
