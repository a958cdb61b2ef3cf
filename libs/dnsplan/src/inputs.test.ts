import { describe, expect, it } from "vitest";
import {
  EventType,
  ObservedOutcome,
  PreconditionType,
  StatusType,
  type FederationEvent,
  type ObjectRef,
  type KubeObject,
} from "@kubefed/events";
import { evolve, initialState, type FederationState } from "@kubefed/state";
import { foldStatus, initialStatusModel, type StatusModel } from "@kubefed/status";
import { health } from "@kubefed/status/testing";
import { REGION_LABEL, ZONE_LABEL } from "@kubefed/names";
import { clusterSites, loadBalancerServices, plannedService } from "./inputs.ts";

let n = 0;
const create = (ref: ObjectRef, object: KubeObject): FederationEvent => ({
  type: EventType.ObjectCreated,
  data: { ref, precondition: { type: PreconditionType.MustNotExist }, object },
  metadata: { eventId: `e${++n}`, time: "2026-01-01T00:00:00Z", actor: { user: "u", groups: [] }, requestId: `r${n}` },
});
const clusterRef = (name: string): ObjectRef => ({
  group: "federation",
  version: "v1beta1",
  kind: "Cluster",
  namespace: null,
  name,
});
const svcRef = (name: string): ObjectRef => ({ group: "", version: "v1", kind: "Service", namespace: "default", name });

function objects(events: FederationEvent[]): FederationState {
  let s = initialState();
  events.forEach((e, i) => (s = evolve(s, e, { offset: String(i) })));
  return s;
}

const observed = (cluster: string, name: string, resourceVersion: string, status: KubeObject | null) => ({
  type: StatusType.ObjectObserved,
  cluster,
  time: "2026-01-01T00:00:01Z",
  worker: "w/1",
  ref: svcRef(name),
  generation: 1,
  resourceVersion,
  outcome: ObservedOutcome.Applied,
  message: "created",
  created: true,
  status,
});

function statusOf(reports: Parameters<typeof foldStatus>[1][]): StatusModel {
  const m = initialStatusModel();
  reports.forEach((r, i) => foldStatus(m, r, { offset: String(i) }));
  return m;
}

const STATE = objects([
  create(clusterRef("member1"), {
    apiVersion: "federation/v1beta1",
    kind: "Cluster",
    metadata: { name: "member1", labels: { [REGION_LABEL]: "EU", [ZONE_LABEL]: "eu-a" } },
  }),
  create(clusterRef("member2"), { apiVersion: "federation/v1beta1", kind: "Cluster", metadata: { name: "member2" } }),
  create(svcRef("web"), {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "web", namespace: "default" },
    spec: { type: "LoadBalancer" },
  }),
  create(svcRef("internal"), {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "internal", namespace: "default" },
    spec: { type: "ClusterIP" },
  }),
]);

describe("planner inputs", () => {
  it("reads region and zone from the Cluster's labels, else from its health report; Ready from health", () => {
    const status = statusOf([
      health("member1", true, "2026-01-01T00:00:00Z"),
      health("member2", false, "2026-01-01T00:00:00Z", { region: "us", zones: ["us-a"] }),
    ]);
    expect([...clusterSites(STATE, status).values()]).toEqual([
      { name: "member1", ready: true, region: "eu", zone: "eu-a" },
      { name: "member2", ready: false, region: "us", zone: "us-a" },
    ]);
  });

  it("lists only Services of type LoadBalancer", () => {
    expect(loadBalancerServices(STATE)).toEqual([{ namespace: "default", name: "web" }]);
    expect(plannedService(STATE, statusOf([]), "default", "internal", 3n)).toBeUndefined();
  });

  it("takes each member's addresses, hostnames and ready endpoints, ignoring reports of an earlier incarnation", () => {
    const status = statusOf([
      observed("member1", "web", "2", {
        loadBalancer: { ingress: [{ ip: "10.0.0.1" }, { hostname: "LB.Cloud.example" }] },
        readyEndpoints: 2,
      }),
      observed("member2", "web", "1", { loadBalancer: { ingress: [{ ip: "10.0.0.2" }] }, readyEndpoints: 1 }),
      observed("member3", "web", "5", { loadBalancer: { ingress: [{ ip: "FD00::3" }, { ip: "not-an-ip" }] } }),
    ]);
    expect(plannedService(STATE, status, "default", "web", 2n)).toEqual({
      namespace: "default",
      name: "web",
      targets: [
        { cluster: "member1", addresses: ["10.0.0.1"], hostnames: ["lb.cloud.example."], readyEndpoints: 2 },
        { cluster: "member3", addresses: ["fd00::3"], hostnames: [], readyEndpoints: null },
      ],
    });
  });
});
