/**
 * The planner's inputs read from the two folds dns-sync follows: the objects state (federated Services of type
 * LoadBalancer, Clusters with their labels) and the status model (cluster health; each member's copy of the
 * Service: load-balancer ingress and ready endpoints).
 */
import { ObservedOutcome, metaOf, type JsonObject, type KubeObject } from "@kubefed/events";
import { REGION_LABEL, ZONE_LABEL, objectKey } from "@kubefed/names";
import { getObject, objectsOfKind, type FederationState } from "@kubefed/state";
import type { StatusModel } from "@kubefed/status";
import type { ClusterSite, PlannedService, ServiceTarget } from "./plan.ts";

/** Where the fold keeps Clusters (group `federation`) and Services (core group). */
export const CLUSTER_KIND_KEY = "federation/Cluster";
export const SERVICE_KIND_KEY = "/Service";

const isJsonObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

/** The objects-log key of a Service (`objectKey`), as the status model and the objects fold use it. */
export const serviceKey = (namespace: string, name: string): string =>
  objectKey({ group: "", kind: "Service", namespace, name });

function labelOf(o: KubeObject, label: string): string | null {
  const labels = metaOf(o).labels;
  const v = isJsonObject(labels) ? labels[label] : undefined;
  return typeof v === "string" && v !== "" ? v.toLowerCase() : null;
}

/**
 * Every Cluster of the federation with its health. Region and zone: the Cluster's topology labels (what `kubefed
 * join --region/--zone` sets); without them, what the member's nodes say in its health report (the zone only when
 * its nodes are in exactly one). Ready only after a health report said so.
 */
export function clusterSites(objects: FederationState, status: StatusModel): Map<string, ClusterSite> {
  const sites = new Map<string, ClusterSite>();
  for (const [nk, cluster] of objectsOfKind(objects, CLUSTER_KIND_KEY)) {
    const name = nk.slice(nk.indexOf("/") + 1);
    const health = status.clusters.get(name);
    const region = labelOf(cluster, REGION_LABEL) ?? health?.region?.toLowerCase() ?? null;
    const reportedZone = health && health.zones.length === 1 ? health.zones[0]!.toLowerCase() : null;
    const zone = region === null ? null : (labelOf(cluster, ZONE_LABEL) ?? reportedZone);
    sites.set(name, { name, ready: health?.ready === true, region, zone });
  }
  return sites;
}

/** A Service of type LoadBalancer in the objects fold: the only kind that gets names. */
export const isLoadBalancer = (o: KubeObject | undefined): o is KubeObject =>
  o !== undefined && isJsonObject(o.spec) && o.spec.type === "LoadBalancer";

/** A hostname from a load-balancer ingress, absolute and lowercase; undefined when it is not a DNS name. */
function absoluteHostname(h: string): string | undefined {
  const name = (h.endsWith(".") ? h.slice(0, -1) : h).toLowerCase();
  return /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(name) && name.length <= 253
    ? `${name}.`
    : undefined;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9a-f:.]+$/;
/** An address from a load-balancer ingress as the records hold it (IPv6 lowercase); undefined when not an IP. */
function address(ip: string): string | undefined {
  if (IPV4.test(ip)) return ip;
  const lower = ip.toLowerCase();
  return lower.includes(":") && IPV6.test(lower) ? lower : undefined;
}

/** One member's report of the Service as a target: addresses, hostnames, ready endpoints. */
export function targetOf(cluster: string, memberStatus: JsonObject | null): ServiceTarget {
  const addresses: string[] = [];
  const hostnames: string[] = [];
  const lb = memberStatus?.loadBalancer;
  const ingress = isJsonObject(lb) && Array.isArray(lb.ingress) ? lb.ingress : [];
  for (const i of ingress) {
    if (!isJsonObject(i)) continue;
    const ip = typeof i.ip === "string" ? address(i.ip) : undefined;
    const host = typeof i.hostname === "string" ? absoluteHostname(i.hostname) : undefined;
    // An ingress with both: the address is what clients connect to.
    if (ip !== undefined) addresses.push(ip);
    else if (host !== undefined) hostnames.push(host);
  }
  const count = memberStatus?.readyEndpoints;
  const readyEndpoints = typeof count === "number" && Number.isInteger(count) && count >= 0 ? count : null;
  return { cluster, addresses, hostnames, readyEndpoints };
}

/**
 * The planner's view of one Service (`serviceKey`), undefined when it does not exist or is not of type
 * LoadBalancer. `createdAt` is the objects offset that created the current incarnation: a member's report of an
 * earlier Service of the same name (applied resourceVersion below it) is not about this one.
 */
export function plannedService(
  objects: FederationState,
  status: StatusModel,
  namespace: string,
  name: string,
  createdAt: bigint | undefined,
): PlannedService | undefined {
  const svc = getObject(objects, { group: "", kind: "Service", namespace, name });
  if (!isLoadBalancer(svc)) return undefined;
  const targets: ServiceTarget[] = [];
  for (const o of status.observed.get(serviceKey(namespace, name))?.values() ?? []) {
    if (o.outcome === ObservedOutcome.Removed || !/^\d+$/.test(o.resourceVersion)) continue;
    if (createdAt !== undefined && BigInt(o.resourceVersion) < createdAt) continue;
    targets.push(targetOf(o.cluster, o.status));
  }
  targets.sort((a, b) => (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0));
  return { namespace, name, targets };
}

/** The `namespace/name` of every Service of type LoadBalancer in the objects fold. */
export function loadBalancerServices(objects: FederationState): { namespace: string; name: string }[] {
  const out: { namespace: string; name: string }[] = [];
  for (const [nk, o] of objectsOfKind(objects, SERVICE_KIND_KEY)) {
    if (!isLoadBalancer(o)) continue;
    const slash = nk.indexOf("/");
    out.push({ namespace: nk.slice(0, slash), name: nk.slice(slash + 1) });
  }
  return out;
}
