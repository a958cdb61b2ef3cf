/**
 * Benchmark (run on demand: `npm run bench:ingest`): create and update latency through the federation API
 * versus the same requests sent straight to one member kube-apiserver, in the same run, on the same client.
 * Prints p50/p99 per target and the ratios. Not a test: the machine is shared, so read medians and ratios.
 */
import { readFileSync } from "node:fs";
import { Agent, request } from "node:https";
import { startEnvironment } from "@kubefed/localenv";
import { startFederation } from "@kubefed/localenv";
import { cpuSnapshot } from "./cpu.ts";

const N = Number(process.env.BENCH_N ?? 300);
const WARMUP = 30;

interface Target {
  name: string;
  base: string;
  agent: Agent;
  headers: Record<string, string>;
}

function call(
  t: Target,
  method: string,
  path: string,
  body: unknown,
  contentType = "application/json",
): Promise<number> {
  return new Promise((resolve, reject) => {
    const text = JSON.stringify(body);
    const started = process.hrtime.bigint();
    const req = request(
      `${t.base}${path}`,
      {
        method,
        agent: t.agent,
        headers: { ...t.headers, "content-type": contentType, "content-length": Buffer.byteLength(text) },
      },
      (res) => {
        res.resume();
        res.on("end", () => {
          if ((res.statusCode ?? 0) >= 300) reject(new Error(`${t.name} ${method} ${path}: HTTP ${res.statusCode}`));
          else resolve(Number(process.hrtime.bigint() - started) / 1e6);
        });
      },
    );
    req.on("error", reject);
    req.end(text);
  });
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

async function measure(t: Target, prefix: string): Promise<{ create: number[]; update: number[] }> {
  const create: number[] = [];
  const update: number[] = [];
  for (let i = 0; i < N + WARMUP; i++) {
    const name = `${prefix}-${i}`;
    const c = await call(t, "POST", "/api/v1/namespaces/default/configmaps", {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name },
      data: { i: String(i) },
    });
    const u = await call(
      t,
      "PATCH",
      `/api/v1/namespaces/default/configmaps/${name}`,
      { data: { i: String(i + 1) } },
      "application/merge-patch+json",
    );
    if (i >= WARMUP) {
      create.push(c);
      update.push(u);
    }
  }
  return { create, update };
}

// The member runs no workloads: this measures the API path, and a controller manager, scheduler and kwok only add
// CPU noise to both targets on a small machine (BENCH_WORKLOADS=1 starts them, to see what they cost).
const env = await startEnvironment({
  members: ["bench"],
  coredns: false,
  opa: false,
  workloads: process.env.BENCH_WORKLOADS === "1",
});
try {
  const fed = await startFederation(env.info, "bench");
  const m = env.info.members[0]!;
  const member: Target = {
    name: "member",
    base: m.server,
    agent: new Agent({
      keepAlive: true,
      ca: readFileSync(m.caFile),
      cert: readFileSync(m.clientCert),
      key: readFileSync(m.clientKey),
    }),
    headers: {},
  };
  const federation: Target = {
    name: "federation",
    base: fed.url,
    agent: new Agent({ keepAlive: true, ca: readFileSync(fed.caFile) }),
    headers: { authorization: `Bearer ${fed.token}` },
  };
  // Interleave rounds so that machine noise hits both targets alike.
  const results = {
    member: { create: [] as number[], update: [] as number[] },
    federation: { create: [] as number[], update: [] as number[] },
  };
  // CPU seconds by component while each target is measured: under load, wall-clock tails are the machine's, while
  // CPU per request is the code's.
  const cpu = { member: new Map<string, number>(), federation: new Map<string, number>() };
  for (let round = 0; round < 3; round++) {
    for (const t of [member, federation]) {
      const before = cpuSnapshot();
      const r = await measure(t, `r${round}`);
      const spent = cpu[t.name as "member" | "federation"];
      for (const [k, v] of cpuSnapshot()) spent.set(k, (spent.get(k) ?? 0) + v - (before.get(k) ?? 0));
      results[t.name as "member" | "federation"].create.push(...r.create);
      results[t.name as "member" | "federation"].update.push(...r.update);
    }
  }
  const line = (op: "create" | "update") => {
    const [mp50, mp99, fp50, fp99] = [
      pct(results.member[op], 50),
      pct(results.member[op], 99),
      pct(results.federation[op], 50),
      pct(results.federation[op], 99),
    ];
    return `${op.padEnd(7)} member p50 ${mp50.toFixed(2)} ms p99 ${mp99.toFixed(2)} ms | federation p50 ${fp50.toFixed(2)} ms p99 ${fp99.toFixed(2)} ms | ratio p50 ${(fp50 / mp50).toFixed(2)} p99 ${(fp99 / mp99).toFixed(2)}`;
  };
  const perRequest = (m: Map<string, number>) =>
    [...m]
      .filter(([, v]) => v >= 0.05)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${((v * 1000) / (2 * 3 * (N + WARMUP))).toFixed(2)}`)
      .join(", ");
  process.stdout.write(
    `ingest latency, ${3 * N} samples per operation and target (sequential requests, keep-alive)\n${line("create")}\n${line("update")}\n` +
      `cpu ms per request, member rounds: ${perRequest(cpu.member)}\n` +
      `cpu ms per request, federation rounds: ${perRequest(cpu.federation)}\n`,
  );
  await fed.stop();
} finally {
  await env.stop();
}
