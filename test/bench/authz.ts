/**
 * The write latency authorization adds: the same ConfigMap creates and merge patches sent by a system:masters user
 * (no RBAC evaluation: the privileged group is allowed first, as in kube-apiserver) and by a user whose rights come
 * from a RoleBinding to edit, with 1,000 bindings present. Rounds alternate between the two users in one run, so
 * machine noise hits both alike; the ratio of the medians is the cost of RBAC.
 *
 *   npm run bench:authz            (BENCH_N=300 samples per operation, user and round; BENCH_BINDINGS=1000)
 */
import { readFileSync } from "node:fs";
import { Agent } from "node:https";
import { startEnvironment, startFederation } from "@kubefed/localenv";
import { call, pct, send, type Target } from "./client.ts";

const N = Number(process.env.BENCH_N ?? 300);
const BINDINGS = Number(process.env.BENCH_BINDINGS ?? 1000);
const WARMUP = 30;
const ROUNDS = 3;
const NS = "bench";

async function timed(t: Target, method: string, path: string, body: unknown, contentType: string): Promise<number> {
  const started = process.hrtime.bigint();
  const status = await send(t, method, path, body, contentType);
  if (status >= 300) throw new Error(`${t.name} ${method} ${path}: HTTP ${status}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

async function measure(t: Target, prefix: string): Promise<{ create: number[]; update: number[] }> {
  const create: number[] = [];
  const update: number[] = [];
  for (let i = 0; i < N + WARMUP; i++) {
    const name = `${prefix}-${i}`;
    const c = await timed(
      t,
      "POST",
      `/api/v1/namespaces/${NS}/configmaps`,
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { i: String(i) } },
      "application/json",
    );
    const u = await timed(
      t,
      "PATCH",
      `/api/v1/namespaces/${NS}/configmaps/${name}`,
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

const rbac = "rbac.authorization.k8s.io";
const binding = (i: number) => {
  const subjects = [{ apiGroup: rbac, kind: i % 3 === 0 ? "Group" : "User", name: `other-${i}` }];
  const roleRef = { apiGroup: rbac, kind: "ClusterRole", name: i % 2 === 0 ? "view" : "edit" };
  // Half namespaced (spread over 50 namespaces, the benchmark's own among them), half cluster-wide.
  return i % 2 === 0
    ? { path: `/apis/${rbac}/v1/clusterrolebindings`, body: { metadata: { name: `other-${i}` }, roleRef, subjects } }
    : {
        path: `/apis/${rbac}/v1/namespaces/${i % 100 === 1 ? NS : `ns-${i % 50}`}/rolebindings`,
        body: { metadata: { name: `other-${i}` }, roleRef, subjects },
      };
};

const env = await startEnvironment({ members: [], coredns: false, opa: false, loadBalancer: false });
try {
  const fed = await startFederation(env.info, "authz", { tokens: ["writer-token,writer,writer-uid"] });
  const agent = () => new Agent({ keepAlive: true, ca: readFileSync(fed.caFile) });
  const masters: Target = {
    name: "masters",
    base: fed.url,
    agent: agent(),
    headers: { authorization: `Bearer ${fed.token}` },
  };
  const writer: Target = {
    name: "writer",
    base: fed.url,
    agent: agent(),
    headers: { authorization: "Bearer writer-token" },
  };
  const ns = (name: string) => call(masters, "POST", "/api/v1/namespaces", { metadata: { name } });
  await ns(NS);
  for (let i = 0; i < 50; i++) await ns(`ns-${i}`);
  await call(masters, "POST", `/apis/${rbac}/v1/namespaces/${NS}/rolebindings`, {
    metadata: { name: "writer-edit" },
    roleRef: { apiGroup: rbac, kind: "ClusterRole", name: "edit" },
    subjects: [{ apiGroup: rbac, kind: "User", name: "writer" }],
  });
  for (let i = 1; i < BINDINGS; i++) {
    const b = binding(i);
    await call(masters, "POST", b.path, b.body);
  }
  const results = {
    masters: { create: [] as number[], update: [] as number[] },
    writer: { create: [] as number[], update: [] as number[] },
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (const t of round % 2 === 0 ? [masters, writer] : [writer, masters]) {
      const r = await measure(t, `${t.name}-r${round}`);
      results[t.name as "masters" | "writer"].create.push(...r.create);
      results[t.name as "masters" | "writer"].update.push(...r.update);
    }
  }
  const line = (op: "create" | "update") => {
    const [mp50, mp99, wp50, wp99] = [
      pct(results.masters[op], 50),
      pct(results.masters[op], 99),
      pct(results.writer[op], 50),
      pct(results.writer[op], 99),
    ];
    return `${op.padEnd(7)} system:masters p50 ${mp50.toFixed(2)} ms p99 ${mp99.toFixed(2)} ms | RBAC (edit via RoleBinding) p50 ${wp50.toFixed(2)} ms p99 ${wp99.toFixed(2)} ms | ratio p50 ${(wp50 / mp50).toFixed(3)} p99 ${(wp99 / mp99).toFixed(3)}`;
  };
  process.stdout.write(
    `authorization latency, ${BINDINGS} bindings present, ${ROUNDS * N} samples per operation and user (sequential requests, keep-alive)\n${line("create")}\n${line("update")}\n`,
  );
  await fed.stop();
} finally {
  await env.stop();
}
