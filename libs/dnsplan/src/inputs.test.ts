import { describe, expect, it } from "vitest";
import { health } from "@kubefed/status/testing";
import { clusterSites, loadBalancerServices, plannedService } from "./inputs.ts";
import { cluster, objects, observed, service, statusOf } from "./testing.ts";

const STATE = objects([
  cluster("member1", "EU", "eu-a"),
  cluster("member2"),
  service("web"),
  service("internal", "ClusterIP"),
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
