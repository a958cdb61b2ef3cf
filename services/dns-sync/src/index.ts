export type { Change, DnsProvider, RecordSet, RecordType } from "./provider.ts";
