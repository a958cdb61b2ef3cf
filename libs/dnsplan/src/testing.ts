// Test data for readers of the planner's inputs (dnsplan's and dns-sync's tests): folded objects and status built
// from the events and reports the real logs carry.
import {
  EventType,
  ObservedOutcome,
  PreconditionType,
  StatusType,
  type FederationEvent,
  type JsonObject,
  type KubeObject,
  type ObjectObservedReport,
  type ObjectRef,
  type StatusReport,
} from "@kubefed/events";
import { REGION_LABEL, ZONE_LABEL } from "@kubefed/names";
import { evolve, initialState, type FederationState } from "@kubefed/state";
import { foldStatus, initialStatusModel, type StatusModel } from "@kubefed/status";

let n = 0;
export const created = (ref: ObjectRef, object: KubeObject): FederationEvent => ({
  type: EventType.ObjectCreated,
  data: { ref, precondition: { type: PreconditionType.MustNotExist }, object },
  metadata: { eventId: `e${++n}`, time: "2026-01-01T00:00:00Z", actor: { user: "u", groups: [] }, requestId: `r${n}` },
});

export const clusterRef = (name: string): ObjectRef => ({
  group: "federation",
  version: "v1beta1",
  kind: "Cluster",
  namespace: null,
  name,
});
export const serviceRef = (name: string, namespace = "default"): ObjectRef => ({
  group: "",
  version: "v1",
  kind: "Service",
  namespace,
  name,
});

/** A Cluster, with topology labels when region (and zone) are given. */
export const cluster = (name: string, region?: string, zone?: string): FederationEvent =>
  created(clusterRef(name), {
    apiVersion: "federation/v1beta1",
    kind: "Cluster",
    metadata: {
      name,
      labels: { ...(region ? { [REGION_LABEL]: region } : {}), ...(zone ? { [ZONE_LABEL]: zone } : {}) },
    },
  });

export const service = (name: string, type = "LoadBalancer", namespace = "default"): FederationEvent =>
  created(serviceRef(name, namespace), {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace },
    spec: { type },
  });

/** The objects state after these events, the i-th at offset i. */
export function objects(events: readonly FederationEvent[]): FederationState {
  let s = initialState();
  events.forEach((e, i) => (s = evolve(s, e, { offset: String(i) })));
  return s;
}

/** A member's report of a Service: its status (load balancer, ready endpoints) as the propagator sends it. */
export const observed = (
  cluster: string,
  name: string,
  resourceVersion: string,
  status: JsonObject | null,
  namespace = "default",
): ObjectObservedReport => ({
  type: StatusType.ObjectObserved,
  cluster,
  time: "2026-01-01T00:00:01Z",
  worker: "w/1",
  ref: serviceRef(name, namespace),
  generation: 1,
  resourceVersion,
  outcome: ObservedOutcome.Applied,
  message: "created",
  created: true,
  status,
});

/** A member's Service status with one load-balancer address and a ready endpoint count. */
export const lbStatus = (ip: string, readyEndpoints: number): JsonObject => ({
  loadBalancer: { ingress: [{ ip }] },
  readyEndpoints,
});

/** Folds reports into `model` (a new one by default), continuing its offsets. */
export function statusOf(reports: readonly StatusReport[], model: StatusModel = initialStatusModel()): StatusModel {
  const start = model.lastOffset === null ? 0 : Number(model.lastOffset) + 1;
  reports.forEach((r, i) => foldStatus(model, r, { offset: String(start + i) }));
  return model;
}
