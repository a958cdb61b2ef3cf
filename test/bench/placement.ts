/**
 * Benchmark (run on demand: `npm run bench:placement`; `BENCH_ONLY=plan,admission,failover` picks phases):
 * - plan: the pure replica planner, 10,000 ReplicaSets over 100 clusters (no processes);
 * - admission: the write latency the SchedulingPolicy step adds (one OPA query per write), p50/p99 of the same
 *   ReplicaSet creates through an ingest with the step and through a replica of the same federation without it;
 * - failover: from a member's kube-apiserver stopping to its share of a rebalanced Deployment running in the
 *   other members (with when the federation recorded it unschedulable).
 * Not a test: the machine is shared, so read medians and ratios.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { request } from "node:https";
import { join, resolve } from "node:path";
import { REPLICA_SET_PREFERENCES_ANNOTATION } from "@kubefed/names";
import { planOf, type ClusterFacts } from "@kubefed/placement";
import { startEnvironment, startFederation, startPropagator, type Federation } from "@kubefed/localenv";
import { pciPolicy } from "../integration/pci-policy.ts";
import { call, federationTarget, memberTarget, pct, type Target } from "./client.ts";

const ONLY = new Set((process.env.BENCH_ONLY ?? "plan,admission,failover").split(","));
const ROOT = resolve(import.meta.dirname, "../..");
const N = Number(process.env.BENCH_N ?? 200);
const WARMUP = 20;
const ms = (ns: bigint) => Number(ns) / 1e6;
const line = (label: string, xs: number[], base?: number[]) =>
  `  ${label.padEnd(34)} p50 ${pct(xs, 50).toFixed(1).padStart(7)} ms  p99 ${pct(xs, 99).toFixed(1).padStart(7)} ms${base ? `   ratio p50 ${(pct(xs, 50) / pct(base, 50)).toFixed(2)}  p99 ${(pct(xs, 99) / pct(base, 99)).toFixed(2)}` : ""}`;

function planPhase(): void {
  const clusters: ClusterFacts[] = Array.from({ length: 100 }, (_, i) => ({
    name: `cluster-${i}`,
    labels: { region: `r${i % 5}` },
    schedulable: i % 17 !== 0,
  }));
  const objects = Array.from({ length: 10_000 }, (_, i) => {
    const prefs = {
      rebalance: i % 2 === 0,
      clusters: Object.fromEntries(
        clusters
          .filter((_, c) => (c + i) % 3 !== 0)
          .map((c, j) => [
            c.name,
            {
              weight: 1 + ((i + j) % 4),
              minReplicas: j % 7 === 0 ? 1 : 0,
              ...(j % 11 === 0 ? { maxReplicas: 3 } : {}),
            },
          ]),
      ),
    };
    return {
      key: `apps/ReplicaSet/ns/rs-${i}`,
      object: {
        apiVersion: "apps/v1",
        kind: "ReplicaSet",
        metadata: {
          name: `rs-${i}`,
          namespace: "ns",
          annotations: { [REPLICA_SET_PREFERENCES_ANNOTATION]: JSON.stringify(prefs) },
        },
        spec: { replicas: 10 + (i % 300) },
      },
    };
  });
  const runs: number[] = [];
  for (let r = 0; r < 7; r++) {
    const t0 = process.hrtime.bigint();
    for (const { object, key } of objects) planOf(object, key, clusters);
    runs.push(ms(process.hrtime.bigint() - t0));
  }
  runs.sort((a, b) => a - b);
  console.log("plan: 10,000 ReplicaSets over 100 clusters (pure planOf, 7 runs)");
  console.log(
    `  total  median ${runs[3]!.toFixed(0)} ms  min ${runs[0]!.toFixed(0)} ms  max ${runs[6]!.toFixed(0)} ms`,
  );
  console.log(`  per object  median ${((runs[3]! * 1000) / 10_000).toFixed(1)} µs`);
}

const replicaSet = (name: string, replicas = 1, annotations: Record<string, string> = {}) => ({
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: { name, annotations },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "c", image: "nginx" }] } },
  },
});

async function timed(t: Target, path: string, body: unknown): Promise<number> {
  const t0 = process.hrtime.bigint();
  await call(t, "POST", path, body);
  return ms(process.hrtime.bigint() - t0);
}

function kubefedJoin(fed: Federation, member: string): void {
  execFileSync(
    resolve(ROOT, "cli/bin/kubefed"),
    [
      "join",
      member,
      "--host-cluster-context=federation",
      `--cluster-context=${member}`,
      `--kubeconfig=${fed.kubeconfig}`,
      `--federation-name=${fed.name}`,
    ],
    { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] },
  );
}

if (ONLY.has("plan")) planPhase();

if (ONLY.has("admission") || ONLY.has("failover")) {
  const env = await startEnvironment({ members: ["member1", "member2", "member3"], coredns: false, opa: true });
  try {
    const dir = mkdtempSync(join(tmpdir(), "kubefed-bench-"));
    const config = join(dir, "admission.json");
    writeFileSync(config, JSON.stringify({ url: env.info.opa!.url, timeout: "2s" }));
    const fed = await startFederation(env.info, "placement", {
      args: ["--admission-control=SchedulingPolicy", `--admission-control-config-file=${config}`],
      env: { INGEST_REBALANCE_READMIT_AFTER: "5s" },
    });
    const plain = await startFederation(env.info, "placement", { replicaOf: fed });
    for (const m of env.info.members) kubefedJoin(fed, m.name);
    const withOpa = federationTarget(fed);
    const without = federationTarget(plain);

    if (ONLY.has("admission")) {
      const ns = "bench-admission";
      await call(withOpa, "POST", "/api/v1/namespaces", {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: ns },
      });
      await call(withOpa, "POST", "/api/v1/namespaces", {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: "kube-federation-scheduling-policy" },
      });
      await call(withOpa, "POST", "/api/v1/namespaces/kube-federation-scheduling-policy/configmaps", {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "scheduling-policy" },
        data: { "policy.rego": pciPolicy() },
      });
      const path = `/apis/apps/v1/namespaces/${ns}/replicasets`;
      const a: number[] = [];
      const b: number[] = [];
      // Interleaved, so both see the same machine load; replicas 0 so no member runs pods meanwhile.
      for (let i = 0; i < N + WARMUP; i++) {
        const x = await timed(withOpa, path, replicaSet(`opa-${i}`, 0, { "requires-pci": "true" }));
        const y = await timed(without, path, replicaSet(`plain-${i}`, 0, { "requires-pci": "true" }));
        if (i >= WARMUP) (a.push(x), b.push(y));
      }
      console.log(`admission: ReplicaSet creates, ${N} each, interleaved, the same federation and log`);
      console.log(line("without admission", b));
      console.log(line("with SchedulingPolicy (OPA)", a, b));
      console.log(`  added p50 ${(pct(a, 50) - pct(b, 50)).toFixed(1)} ms`);
    }

    if (ONLY.has("failover")) {
      const worker = await startPropagator(env.info, fed, {
        env: { PROPAGATOR_HEALTH_PROBE_INTERVAL: "500ms", PROPAGATOR_FAILURES_TO_OFFLINE: "3", LOG_LEVEL: "warn" },
      });
      const ns = "bench-failover";
      const [m1, m2, m3] = env.info.members.map(memberTarget) as [Target, Target, Target];
      await call(withOpa, "POST", "/api/v1/namespaces", {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: ns },
      });
      const running = async (t: Target) => {
        const body = await getJson(t, `/api/v1/namespaces/${ns}/pods?labelSelector=app%3Dmoving`);
        return (body.items as { metadata: { deletionTimestamp?: string }; status: { phase?: string } }[]).filter(
          (p) => !p.metadata.deletionTimestamp && p.status.phase === "Running",
        ).length;
      };
      const waitFor = async (what: string, ok: () => Promise<boolean>, timeoutMs = 180_000) => {
        const deadline = Date.now() + timeoutMs;
        while (!(await ok().catch(() => false))) {
          if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000}s`);
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      const deployment = {
        ...replicaSet("moving", 6),
        kind: "Deployment",
        metadata: {
          name: "moving",
          annotations: {
            "federation.kubernetes.io/deployment-preferences": JSON.stringify({
              rebalance: true,
              clusters: { "*": { weight: 1 } },
            }),
          },
        },
      };
      await call(withOpa, "POST", `/apis/apps/v1/namespaces/${ns}/deployments`, deployment);
      await waitFor(
        "2/2/2 running",
        async () => (await running(m1)) === 2 && (await running(m2)) === 2 && (await running(m3)) === 2,
      );
      const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
      const recorded: number[] = [];
      const moved: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const t0 = Date.now();
        await env.stopMember("member3");
        await waitFor("member3 recorded unschedulable", async () => {
          const c = await getJson(withOpa, "/apis/federation/v1beta1/clusters/member3");
          return (c.status?.conditions ?? []).some(
            (x: { type: string; status: string }) => x.type === "Schedulable" && x.status === "False",
          );
        });
        recorded.push(Date.now() - t0);
        await waitFor(
          "3/3 running in member1 and member2",
          async () => (await running(m1)) === 3 && (await running(m2)) === 3,
        );
        moved.push(Date.now() - t0);
        await env.startMember("member3");
        await waitFor(
          "back to 2/2/2",
          async () => (await running(m1)) === 2 && (await running(m2)) === 2 && (await running(m3)) === 2,
          300_000,
        );
      }
      console.log(
        `failover: Deployment of 6 (rebalance) over 3 members, member3's kube-apiserver stopped, ${rounds} rounds`,
      );
      console.log(
        `  probes every 500 ms, Offline after 3 failures; readmitted after 5 s Ready (doubling per recent outage)`,
      );
      console.log(`  stop → recorded unschedulable  ${recorded.map((x) => (x / 1000).toFixed(1)).join(", ")} s`);
      console.log(`  stop → 6 running elsewhere      ${moved.map((x) => (x / 1000).toFixed(1)).join(", ")} s`);
      await worker.stop();
    }
    await plain.stop();
    await fed.stop();
  } finally {
    await env.stop();
  }
}

async function getJson(t: Target, path: string): Promise<any> {
  return new Promise((res, rej) => {
    const req = request(`${t.base}${path}`, { method: "GET", agent: t.agent, headers: t.headers }, (r) => {
      const chunks: Buffer[] = [];
      r.on("data", (c: Buffer) => chunks.push(c));
      r.on("end", () => {
        try {
          res(JSON.parse(Buffer.concat(chunks).toString("utf8")));
        } catch (e) {
          rej(e);
        }
      });
    });
    req.on("error", rej);
    req.end();
  });
}
