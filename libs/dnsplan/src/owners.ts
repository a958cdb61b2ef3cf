// Which federated Service a record name belongs to: dns-sync re-plans one Service at a time and diffs only that
// Service's names, so the record sets it owns are grouped by Service.
import { parseServiceDnsName } from "@kubefed/names";
import { serviceKey } from "./inputs.ts";
import type { RecordSet } from "./records.ts";

/**
 * The `serviceKey` of the Service a name of federation `federation` in `zone` was planned for; undefined for any
 * other name (one this planner never writes, so an owned record under it is always deleted).
 */
export function serviceOfName(name: string, zone: string, federation: string): string | undefined {
  const parsed = parseServiceDnsName(name, zone);
  if (!parsed || parsed.federation !== federation) return undefined;
  return serviceKey(parsed.namespace, parsed.service);
}

/** Record sets grouped by Service key; names of no Service under the key "". */
export function groupByService(sets: Iterable<RecordSet>, zone: string, federation: string): Map<string, RecordSet[]> {
  const groups = new Map<string, RecordSet[]>();
  for (const s of sets) {
    const key = serviceOfName(s.name, zone, federation) ?? "";
    const list = groups.get(key);
    if (list) list.push(s);
    else groups.set(key, [s]);
  }
  return groups;
}
