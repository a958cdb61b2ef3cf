// Status flows back: what the members report about the objects (ready replicas, load-balancer ingress, ready
// endpoints, all from the members' own controllers, kwok nodes and the environment's load balancer) and about
// themselves (health) reaches the federation API through the status topic, and `kubectl describe` shows Events.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Federation, Propagator } from "@kubefed/localenv";
import { OWNED_BY_LABEL } from "@kubefed/names";
import { uniqueName } from "./helpers.ts";
import { eventually, federationWithMembers, fedctl, memberctl, ownedIn, propagator } from "./propagation-helpers.ts";

const MEMBERS = [
  { name: "member1", region: "eu", zone: "eu-a" },
  { name: "member2", region: "us", zone: "us-a" },
];
let fed: Federation;
let worker: Propagator;
const ns = uniqueName("st");

beforeAll(async () => {
  fed = await federationWithMembers(uniqueName("ps"), MEMBERS);
  worker = await propagator(fed);
  await fedctl(fed, ["create", "namespace", ns]);
}, 180_000);

afterAll(async () => {
  await worker?.stop();
  await fed?.stop();
});

describe("status from the members", () => {
  it("shows every member Ready with its region and zone in `kubectl get clusters`", async () => {
    await eventually(async () => {
      const { stdout } = await fedctl(fed, ["get", "clusters"]);
      expect(stdout).toMatch(/member1\s+Ready\s+eu\s+eu-a/);
      expect(stdout).toMatch(/member2\s+Ready\s+us\s+us-a/);
    }, 30_000);
  });

  it("aggregates ready replicas and load-balancer ingress, per cluster too, and records Events", async () => {
    await fedctl(
      fed,
      ["apply", "-f", "-"],
      `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${ns}}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: ${ns}}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 80}]
`,
    );
    for (const m of ["member1", "member2"]) {
      await eventually(async () => expect((await ownedIn(m, fed.name, ["deployments.apps", "services"])).size).toBe(2));
    }
    // Each member's controllers run the pods on its kwok nodes and its load balancer gives the Service an address.
    const addressOf = async (m: string) => {
      const svc = JSON.parse((await memberctl(m, ["-n", ns, "get", "service", "web", "-o", "json"])).stdout);
      expect(svc.status.loadBalancer?.ingress).toHaveLength(1);
      return svc.status.loadBalancer.ingress[0].ip as string;
    };
    const addresses = [
      await eventually(() => addressOf("member1"), 60_000),
      await eventually(() => addressOf("member2"), 60_000),
    ];

    await eventually(async () => {
      const dep = JSON.parse((await fedctl(fed, ["-n", ns, "get", "deployment", "web", "-o", "json"])).stdout);
      expect(dep.status.readyReplicas).toBe(4);
      expect(dep.status.replicas).toBe(4);
      expect(dep.status.clusters.map((c: any) => [c.name, c.status?.readyReplicas])).toEqual([
        ["member1", 2],
        ["member2", 2],
      ]);
    }, 60_000);
    await eventually(async () => {
      const svc = JSON.parse((await fedctl(fed, ["-n", ns, "get", "service", "web", "-o", "json"])).stdout);
      expect(svc.status.loadBalancer.ingress.map((i: any) => i.ip).sort()).toEqual([...addresses].sort());
    }, 30_000);
    // `kubectl get` reads the aggregate: READY 4/4 for a federated Deployment of 4 replicas split over 2 clusters.
    const { stdout: table } = await fedctl(fed, ["-n", ns, "get", "deployment", "web"]);
    expect(table).toMatch(/web\s+4\/4/);
    const { stdout: described } = await fedctl(fed, ["-n", ns, "describe", "deployment", "web"]);
    expect(described).toContain("created in cluster member1");
    expect(described).toContain("created in cluster member2");
  }, 120_000);

  it("counts a Service's ready endpoints from the members' EndpointSlices, in aggregate and per cluster", async () => {
    await fedctl(fed, ["-n", ns, "create", "deployment", "ep", "--image=nginx", "--replicas=4"]);
    await fedctl(fed, ["-n", ns, "expose", "deployment", "ep", "--port=80"]);

    const expectCounts = (total: number, perCluster: [string, number][]) =>
      eventually(async () => {
        const svc = JSON.parse((await fedctl(fed, ["-n", ns, "get", "service", "ep", "-o", "json"])).stdout);
        expect(svc.status.readyEndpoints).toBe(total);
        expect(svc.status.clusters.map((c: any) => [c.name, c.status?.readyEndpoints])).toEqual(perCluster);
      }, 60_000);
    // The members' endpointslice controllers count the pods kwok runs.
    await expectCounts(4, [
      ["member1", 2],
      ["member2", 2],
    ]);

    // A pod of member1 stops being ready (as a failing readiness probe would make it): the counts follow.
    const { stdout: podName } = await memberctl("member1", [
      "-n",
      ns,
      "get",
      "pods",
      "-l",
      "app=ep",
      "-o",
      "jsonpath={.items[0].metadata.name}",
    ]);
    await memberctl("member1", [
      "-n",
      ns,
      "patch",
      "pod",
      podName,
      "--subresource=status",
      "--type=strategic",
      "-p",
      JSON.stringify({ status: { conditions: [{ type: "Ready", status: "False" }] } }),
    ]);
    await expectCounts(3, [
      ["member1", 1],
      ["member2", 2],
    ]);
  }, 120_000);

  it("leaves an object alone once its ownership label is removed in the member, and says so", async () => {
    await fedctl(fed, ["-n", ns, "create", "configmap", "disowned", "--from-literal=a=federation"]);
    await eventually(async () =>
      expect((await ownedIn("member1", fed.name, ["configmaps"])).has(`ConfigMap/${ns}/disowned`)).toBe(true),
    );
    // Taken over by hand: the member's watch of what the federation owns sees it leave.
    await memberctl("member1", ["-n", ns, "label", "configmap", "disowned", `${OWNED_BY_LABEL}-`]);
    await fedctl(fed, ["-n", ns, "patch", "configmap", "disowned", "--type=merge", "-p", '{"data":{"a":"changed"}}']);
    await eventually(async () => {
      const { stdout } = await fedctl(fed, ["-n", ns, "describe", "configmap", "disowned"]);
      expect(stdout).toMatch(/Warning\s+FailedInCluster/);
      expect(stdout).toContain("cluster member1");
    }, 30_000);
    const mine = JSON.parse(
      (await memberctl("member1", ["-n", ns, "get", "configmap", "disowned", "-o", "json"])).stdout,
    );
    expect(mine.metadata.labels?.[OWNED_BY_LABEL]).toBeUndefined();
    expect(mine.data).toEqual({ a: "federation" });
    await eventually(async () =>
      expect((await ownedIn("member2", fed.name, ["configmaps"])).get(`ConfigMap/${ns}/disowned`)?.data).toEqual({
        a: "changed",
      }),
    );
  }, 60_000);

  it("reports an apply a member refuses as a Warning Event", async () => {
    // The member already has an object of that name the federation does not own: reported, left alone.
    await memberctl("member2", ["-n", ns, "create", "configmap", "taken", "--from-literal=a=local"]);
    await fedctl(fed, ["-n", ns, "create", "configmap", "taken", "--from-literal=a=federation"]);
    await eventually(async () => {
      const { stdout } = await fedctl(fed, ["-n", ns, "describe", "configmap", "taken"]);
      expect(stdout).toMatch(/Warning\s+FailedInCluster/);
      expect(stdout).toContain("cluster member2");
    }, 30_000);
  }, 60_000);
});
