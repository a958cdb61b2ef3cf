/**
 * Ready endpoints per Service in a member cluster, counted from its `discovery.k8s.io/v1` EndpointSlices. Pure:
 * the ClusterWorker feeds it the slices it lists and watches, and learns which Services' counts changed.
 *
 * EndpointSlices are read, never propagated: they are not a member kind (MEMBER_KINDS drives propagation, RBAC
 * and the CLI); the member ClusterRole grants get/list/watch on them apart.
 */
import { type JsonObject, type KubeObject } from "@kubefed/events";
import { objectKey } from "@kubefed/names";
import type { MemberKind } from "@kubefed/placement";

/** Where the member serves EndpointSlices (shaped as a MemberKind so that MemberClient can list and watch it). */
export const ENDPOINT_SLICES: MemberKind = {
  group: "discovery.k8s.io",
  version: "v1",
  kind: "EndpointSlice",
  plural: "endpointslices",
  namespaced: true,
};

/** The label naming the Service a slice belongs to (set by the endpointslice controllers). */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

/** The field of a Service's reported member status that carries the count. */
export const READY_ENDPOINTS_FIELD = "readyEndpoints";

interface SliceSummary {
  /** The federation key of the Service (`/Service/<namespace>/<name>`). */
  readonly service: string;
  readonly addressType: string;
  readonly ready: number;
}

const metaOf = (o: KubeObject) =>
  (o.metadata ?? {}) as { name?: string; namespace?: string; labels?: Record<string, string> };

/** `namespace/name` of a slice: its identity in the member. */
const sliceKey = (slice: KubeObject): string => `${metaOf(slice).namespace ?? ""}/${metaOf(slice).name ?? ""}`;

/** The federation key of the Service a slice belongs to; undefined when the slice names none. */
export function serviceKeyOf(slice: KubeObject): string | undefined {
  const m = metaOf(slice);
  const name = m.labels?.[SERVICE_NAME_LABEL];
  if (!name || !m.namespace) return undefined;
  return objectKey({ group: "", kind: "Service", namespace: m.namespace, name });
}

/** Endpoints of one slice that are ready: Kubernetes reads a missing `conditions.ready` as ready. */
export function readyEndpointsOf(slice: KubeObject): number {
  const endpoints = Array.isArray(slice.endpoints) ? slice.endpoints : [];
  let n = 0;
  for (const e of endpoints) {
    const ready = (e as { conditions?: { ready?: boolean | null } } | null)?.conditions?.ready;
    if (ready !== false) n++;
  }
  return n;
}

/**
 * A Service's count from its slices: the sum over slices of each address type, and the largest of those sums.
 * A dual-stack Service has IPv4 and IPv6 slices describing the same pods: adding both would count each twice.
 * For a single-stack Service (the usual case) it is the plain sum over its slices.
 */
export function readyEndpointsOfService(slices: Iterable<{ addressType: string; ready: number }>): number {
  const byType = new Map<string, number>();
  for (const s of slices) byType.set(s.addressType, (byType.get(s.addressType) ?? 0) + s.ready);
  let max = 0;
  for (const n of byType.values()) max = Math.max(max, n);
  return max;
}

/** The reported member status of a Service with its count: `status.readyEndpoints` (unchanged when unknown). */
export function withReadyEndpoints(status: JsonObject | null, count: number | undefined): JsonObject | null {
  if (count === undefined) return status;
  return { ...(status ?? {}), [READY_ENDPOINTS_FIELD]: count };
}

/** The ready endpoint count of every Service of one member cluster, kept from its EndpointSlices. */
export class ReadyEndpoints {
  /** By slice `namespace/name`: what that slice contributes. */
  private readonly slices = new Map<string, SliceSummary>();
  /** By Service key: the slices that name it. */
  private readonly byService = new Map<string, Set<string>>();
  /** By Service key: its count (absent: 0). */
  private readonly counts = new Map<string, number>();
  private listed = false;

  /** True once the slices were listed: before that, counts are unknown. */
  get known(): boolean {
    return this.listed;
  }

  /** A Service's ready endpoints; undefined before the first list. */
  count(serviceKey: string): number | undefined {
    return this.listed ? (this.counts.get(serviceKey) ?? 0) : undefined;
  }

  /** A slice was added or modified. Returns the Services whose count changed. */
  upsert(slice: KubeObject): string[] {
    const key = sliceKey(slice);
    const before = this.slices.get(key);
    const service = serviceKeyOf(slice);
    if (service === undefined) {
      if (!before) return [];
      this.detach(key, before);
      return this.recount([before.service]);
    }
    const summary: SliceSummary = {
      service,
      addressType: String(slice.addressType ?? ""),
      ready: readyEndpointsOf(slice),
    };
    if (before) this.detach(key, before);
    this.slices.set(key, summary);
    const set = this.byService.get(service) ?? new Set<string>();
    set.add(key);
    this.byService.set(service, set);
    return this.recount(before && before.service !== service ? [before.service, service] : [service]);
  }

  /** A slice was deleted. Returns the Services whose count changed. */
  remove(slice: KubeObject): string[] {
    const key = sliceKey(slice);
    const before = this.slices.get(key);
    if (!before) return [];
    this.detach(key, before);
    return this.recount([before.service]);
  }

  /** A fresh list of every slice replaces what was known. Returns the Services whose count changed. */
  replace(slices: readonly KubeObject[]): string[] {
    const before = [...this.counts.keys()];
    this.slices.clear();
    this.byService.clear();
    for (const s of slices) {
      const service = serviceKeyOf(s);
      if (service === undefined) continue;
      const key = sliceKey(s);
      this.slices.set(key, { service, addressType: String(s.addressType ?? ""), ready: readyEndpointsOf(s) });
      const set = this.byService.get(service) ?? new Set<string>();
      set.add(key);
      this.byService.set(service, set);
    }
    // Against the counts before: Services that lost all their slices go to 0.
    const changed = this.recount([...new Set([...before, ...this.byService.keys()])]);
    this.listed = true;
    return changed;
  }

  private detach(key: string, summary: SliceSummary): void {
    this.slices.delete(key);
    const set = this.byService.get(summary.service);
    set?.delete(key);
    if (set && set.size === 0) this.byService.delete(summary.service);
  }

  /** Recomputes the counts of some Services from their slices; returns those whose count changed. */
  private recount(services: readonly string[]): string[] {
    const changed: string[] = [];
    for (const service of services) {
      const keys = this.byService.get(service);
      const n = keys ? readyEndpointsOfService([...keys].map((k) => this.slices.get(k)!)) : 0;
      const before = this.counts.get(service) ?? 0;
      if (n === 0) this.counts.delete(service);
      else this.counts.set(service, n);
      if (n !== before) changed.push(service);
    }
    return changed;
  }
}
