/**
 * The record planner: from where a federated Service of type LoadBalancer runs (one target per member cluster that
 * reports it) and the health of those clusters, the record sets of its three names
 *
 *   <svc>.<ns>.<fed>.svc.<zone>.<region>.<domain>.   that zone's healthy targets, else a CNAME to the region name
 *   <svc>.<ns>.<fed>.svc.<region>.<domain>.          that region's healthy targets, else a CNAME to the global name
 *   <svc>.<ns>.<fed>.svc.<domain>.                   every healthy target; no record when none is healthy
 *
 * Healthy: the cluster is Ready, its copy of the Service has a load-balancer ingress and at least one ready endpoint.
 * A zone or region name exists for every zone and region of the clusters that report the Service, healthy or not:
 * that is what lets an unhealthy zone fall back to its region.
 *
 * Addresses and hostnames. A load balancer known only by a hostname (as some clouds give) cannot share a name with
 * addresses (a CNAME sits alone at its name). So, level by level: the IP addresses of the healthy targets, as A and
 * AAAA, when there is at least one (hostname-only targets are then left out of that level); otherwise a CNAME to
 * the hostname, when the healthy targets have hostnames only: the hostname is the only target there. With several
 * distinct hostnames and no address the CNAME goes to the first in sort order (a name holds one CNAME; the choice
 * is stable, so it does not flap).
 */
import { serviceDnsNames } from "@kubefed/names";
import { recordSet, type RecordSet } from "./records.ts";

export const DEFAULT_TTL_SECONDS = 30;

/** Where a member cluster is and whether it is Ready. */
export interface ClusterSite {
  readonly name: string;
  readonly ready: boolean;
  readonly region: string | null;
  /** Only meaningful with a region. */
  readonly zone: string | null;
}

/** What one member cluster reports of the Service. */
export interface ServiceTarget {
  readonly cluster: string;
  /** Load-balancer ingress addresses, IPv4 or IPv6. */
  readonly addresses: readonly string[];
  /** Load-balancer ingress hostnames, absolute (trailing dot), lowercase. */
  readonly hostnames: readonly string[];
  /** Ready endpoints in that cluster; null when not reported. */
  readonly readyEndpoints: number | null;
}

export interface PlannedService {
  readonly namespace: string;
  readonly name: string;
  readonly targets: readonly ServiceTarget[];
}

export interface PlanSettings {
  readonly federation: string;
  /** The DNS zone the names live in, absolute. */
  readonly zone: string;
  readonly ttl: number;
}

const isIpv6 = (address: string): boolean => address.includes(":");

function healthy(t: ServiceTarget, site: ClusterSite | undefined): boolean {
  return (
    site !== undefined &&
    site.ready &&
    t.readyEndpoints !== null &&
    t.readyEndpoints > 0 &&
    (t.addresses.length > 0 || t.hostnames.length > 0)
  );
}

/** The record sets of one level from its healthy targets; empty when there is none. */
function answer(name: string, targets: readonly ServiceTarget[], ttl: number): RecordSet[] {
  const addresses = targets.flatMap((t) => t.addresses);
  if (addresses.length > 0) {
    const v4 = addresses.filter((a) => !isIpv6(a));
    const v6 = addresses.filter(isIpv6);
    return [
      ...(v4.length > 0 ? [recordSet(name, "A", ttl, v4)] : []),
      ...(v6.length > 0 ? [recordSet(name, "AAAA", ttl, v6)] : []),
    ];
  }
  const hostnames = [...new Set(targets.flatMap((t) => t.hostnames))].sort();
  return hostnames.length > 0 ? [recordSet(name, "CNAME", ttl, [hostnames[0]!])] : [];
}

const cname = (name: string, target: string, ttl: number): RecordSet => recordSet(name, "CNAME", ttl, [target]);

/**
 * The record sets of one Service (sorted by name, then type). `sites` holds the federation's clusters by name; a
 * target of a cluster that is not there (unjoined) counts for nothing. Names that cannot be formed (a label that is
 * not a DNS label) are left out; the caller validates what it can at the edge.
 */
export function planService(
  svc: PlannedService,
  sites: ReadonlyMap<string, ClusterSite>,
  settings: PlanSettings,
): RecordSet[] {
  const base = { service: svc.name, namespace: svc.namespace, federation: settings.federation, domain: settings.zone };
  let global: string;
  try {
    global = serviceDnsNames(base).global;
  } catch {
    return [];
  }
  const known = svc.targets.filter((t) => sites.has(t.cluster));
  const good = known.filter((t) => healthy(t, sites.get(t.cluster)));
  const sets: RecordSet[] = answer(global, good, settings.ttl);

  // Regions and zones of every cluster reporting the Service, healthy or not.
  const zonesByRegion = new Map<string, Set<string>>();
  for (const t of known) {
    const site = sites.get(t.cluster)!;
    if (site.region === null) continue;
    const zones = zonesByRegion.get(site.region) ?? new Set<string>();
    if (site.zone !== null) zones.add(site.zone);
    zonesByRegion.set(site.region, zones);
  }
  for (const [region, zones] of zonesByRegion) {
    let regionName: string;
    try {
      regionName = serviceDnsNames({ ...base, region }).region!;
    } catch {
      continue;
    }
    const inRegion = good.filter((t) => sites.get(t.cluster)!.region === region);
    const regional = answer(regionName, inRegion, settings.ttl);
    sets.push(...(regional.length > 0 ? regional : [cname(regionName, global, settings.ttl)]));
    for (const zone of zones) {
      let zoneName: string;
      try {
        zoneName = serviceDnsNames({ ...base, region, zone }).zone!;
      } catch {
        continue;
      }
      const inZone = inRegion.filter((t) => sites.get(t.cluster)!.zone === zone);
      const zonal = answer(zoneName, inZone, settings.ttl);
      sets.push(...(zonal.length > 0 ? zonal : [cname(zoneName, regionName, settings.ttl)]));
    }
  }
  return sets.sort((a, b) => (a.name !== b.name ? (a.name < b.name ? -1 : 1) : a.type < b.type ? -1 : 1));
}
