// Workloads run in the members: a federated Deployment gets pods on the members' kwok nodes through their own
// kube-scheduler and controllers, its Service ready endpoints and a load-balancer address, and the federation
// shows all of it; `kubectl rollout status` completes on the federation. All through the pinned kubectl.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inRange, memberRange, type Federation, type Propagator } from "@kubefed/localenv";
import { env, uniqueName } from "./helpers.ts";
import { eventually, federationWithMembers, fedctl, memberctl, propagator } from "./propagation-helpers.ts";

const REGION_LABEL = "topology.kubernetes.io/region";
const ZONE_LABEL = "topology.kubernetes.io/zone";

let fed: Federation;
let worker: Propagator;
const ns = uniqueName("wl");
const members = () => env().members.map((m) => m.name);
const rangeOf = (member: string) => memberRange(env().members.findIndex((m) => m.name === member));

beforeAll(async () => {
  // No --region or --zone: join reads them from the members' nodes.
  fed = await federationWithMembers(
    uniqueName("wl"),
    members().map((name) => ({ name })),
  );
  worker = await propagator(fed);
  await fedctl(fed, ["create", "namespace", ns]);
}, 240_000);

afterAll(async () => {
  await fedctl(fed, ["delete", "namespace", ns, "--wait=false"]).catch(() => undefined);
  await worker?.stop();
  await fed?.stop();
});

interface Pod {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status: { phase?: string; podIP?: string; conditions?: { type: string; status: string }[] };
}

/** The member's pods of app `web` that are not on their way out. */
async function pods(member: string): Promise<Pod[]> {
  const { stdout } = await memberctl(member, ["-n", ns, "get", "pods", "-l", "app=web", "-o", "json"]);
  return (JSON.parse(stdout) as { items: Pod[] }).items.filter((p) => !p.metadata.deletionTimestamp);
}

const runningAndReady = (p: Pod) =>
  p.status.phase === "Running" &&
  p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true &&
  p.status.podIP !== undefined;

async function readyEndpoints(member: string): Promise<number> {
  const { stdout } = await memberctl(member, [
    "-n",
    ns,
    "get",
    "endpointslices",
    "-l",
    "kubernetes.io/service-name=web",
    "-o",
    "json",
  ]);
  const slices = (JSON.parse(stdout) as { items: { endpoints?: { conditions?: { ready?: boolean } }[] }[] }).items;
  return slices.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).length;
}

async function memberIngress(member: string): Promise<string[]> {
  const { stdout } = await memberctl(member, ["-n", ns, "get", "service", "web", "-o", "json"]);
  return (
    (JSON.parse(stdout) as { status?: { loadBalancer?: { ingress?: { ip: string }[] } } }).status?.loadBalancer
      ?.ingress ?? []
  ).map((i) => i.ip);
}

const fedJson = async (args: string[]) => JSON.parse((await fedctl(fed, [...args, "-o", "json"])).stdout);

describe("workloads in kwok-backed members", () => {
  it("kubefed join labels each Cluster with the region and zone of its nodes", async () => {
    const clusters = (await fedJson(["get", "clusters"])).items as {
      metadata: { name: string; labels: Record<string, string> };
    }[];
    for (const w of env().workloads) {
      const c = clusters.find((x) => x.metadata.name === w.member);
      expect(c?.metadata.labels[REGION_LABEL], w.member).toBe(w.topology.region);
      expect(c?.metadata.labels[ZONE_LABEL], w.member).toBe(w.topology.zones[0]);
    }
  });

  it("runs a federated Deployment's pods in every member (9 replicas split evenly), with ready endpoints and a load-balancer address, and rollout status completes", async () => {
    await fedctl(fed, ["-n", ns, "create", "deployment", "web", "--image=nginx", "--replicas=9"]);
    await fedctl(fed, ["-n", ns, "expose", "deployment", "web", "--port=80", "--type=LoadBalancer"]);

    const addresses: string[] = [];
    for (const m of members()) {
      const nodes = env().workloads.find((w) => w.member === m)!.nodes;
      await eventually(async () => {
        const ps = await pods(m);
        expect(ps.filter(runningAndReady)).toHaveLength(3);
        for (const p of ps) expect(nodes).toContain(p.spec.nodeName);
        expect(await readyEndpoints(m)).toBe(3);
        expect(await memberIngress(m)).toHaveLength(1);
      }, 90_000);
      const [ip] = await memberIngress(m);
      expect(inRange(rangeOf(m), ip!)).toBe(true);
      addresses.push(ip!);
    }

    const { stdout: rollout } = await fedctl(fed, ["-n", ns, "rollout", "status", "deployment/web", "--timeout=90s"]);
    expect(rollout).toContain('deployment "web" successfully rolled out');
    const dep = await fedJson(["-n", ns, "get", "deployment", "web"]);
    expect(dep.status).toMatchObject({
      replicas: 9,
      readyReplicas: 9,
      availableReplicas: 9,
      updatedReplicas: 9,
      observedGeneration: dep.metadata.generation,
    });
    const { stdout: table } = await fedctl(fed, ["-n", ns, "get", "deployment", "web"]);
    expect(table).toMatch(/web\s+9\/9\s+9\s+9/);

    await eventually(async () => {
      const svc = await fedJson(["-n", ns, "get", "service", "web"]);
      expect(svc.status.loadBalancer.ingress.map((i: { ip: string }) => i.ip).sort()).toEqual([...addresses].sort());
      expect(svc.status.readyEndpoints).toBe(9);
      expect(svc.status.clusters.map((c: any) => [c.name, c.status?.readyEndpoints])).toEqual(
        members().map((m) => [m, 3]),
      );
    }, 30_000);
  }, 300_000);

  it("scales the members' pods with the federated Deployment, and deleting it removes them", async () => {
    await fedctl(fed, ["-n", ns, "scale", "deployment", "web", "--replicas=3"]);
    for (const m of members()) {
      await eventually(async () => {
        const ps = await pods(m);
        expect(ps).toHaveLength(1);
        expect(ps.filter(runningAndReady)).toHaveLength(1);
        expect(await readyEndpoints(m)).toBe(1);
      }, 60_000);
    }
    await fedctl(fed, ["-n", ns, "rollout", "status", "deployment/web", "--timeout=60s"]);
    expect((await fedJson(["-n", ns, "get", "deployment", "web"])).status.readyReplicas).toBe(3);

    await fedctl(fed, ["-n", ns, "delete", "deployment", "web"]);
    for (const m of members()) {
      await eventually(async () => {
        const { stdout } = await memberctl(m, ["-n", ns, "get", "pods,replicasets,deployments", "-o", "name"]);
        expect(stdout.trim()).toBe("");
      }, 60_000);
    }
  }, 240_000);
});
