/**
 * Benchmark (run on demand: `npm run bench:propagation`): propagation through the federation versus the same
 * writes applied straight to the member clusters, in one run, on one machine.
 *
 *   latency     one ConfigMap at a time: from the request to the federation until all three members show it
 *               (watched), versus the same write sent to the three members in parallel until all three show it;
 *               also from the federation's answer (the write accepted), the figure the project's goal is set on.
 *   throughput  a burst of ConfigMaps, 16 in flight: until all three members hold every one, versus the same
 *               burst applied directly to the three members (16 in flight each).
 *   join        a fourth member joins a federation holding N ConfigMaps: until it holds all of them, versus
 *               applying the same N ConfigMaps to it directly (16 in flight).
 *
 * Over 400 lines because the three phases share one environment, one federation and one set of helpers to
 * measure CPU and requests; split, each would start its own four member clusters.
 *
 * Prints medians/p99 and ratios. Not a test: the machine is shared, so read medians and ratios.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { Agent, request } from "node:https";
import { resolve } from "node:path";
import { startEnvironment, startFederation, startPropagator } from "@kubefed/localenv";
import { call, federationTarget, memberTarget, pct, send, type Target } from "./client.ts";
import { cpuSince, cpuSnapshot, pinComponents, quiesce } from "./cpu.ts";

const LATENCY_N = Number(process.env.BENCH_LATENCY_N ?? 200);
const BURST_N = Number(process.env.BENCH_BURST_N ?? 1000);
const JOIN_N = Number(process.env.BENCH_JOIN_N ?? 5000);
const PARALLEL = 16;
/** BENCH_ONLY=latency,throughput,join runs a subset. */
const ONLY = new Set((process.env.BENCH_ONLY ?? "latency,throughput,join").split(","));
const ROOT = resolve(import.meta.dirname, "../..");

/**
 * Watches ConfigMaps of a namespace in a member; resolves waiters when a name is first seen. A watch the member
 * closes (a busy apiserver drops watchers that fall behind) is opened again: its initial events list what exists.
 */
class Visibility {
  private readonly seen = new Map<string, number>();
  private readonly waiters = new Map<string, (() => void)[]>();
  private readonly agent: Agent;
  constructor(
    private readonly t: Target,
    private readonly namespace: string,
  ) {
    this.agent = new Agent({ ...t.agent.options });
    this.watch();
  }
  private watch(): void {
    const again = () => setTimeout(() => this.watch(), 100).unref();
    const req = request(
      `${this.t.base}/api/v1/namespaces/${this.namespace}/configmaps?watch=1&timeoutSeconds=3600`,
      { agent: this.agent, headers: this.t.headers },
      (r) => {
        let buf = "";
        r.setEncoding("utf8");
        r.on("data", (c: string) => {
          buf += c;
          let nl;
          while ((nl = buf.indexOf("\n")) >= 0) {
            const e = JSON.parse(buf.slice(0, nl)) as { type: string; object: { metadata: { name: string } } };
            buf = buf.slice(nl + 1);
            if (e.type !== "ADDED") continue;
            const name = e.object.metadata.name;
            if (!this.seen.has(name)) this.seen.set(name, performance.now());
            for (const w of this.waiters.get(name) ?? []) w();
            this.waiters.delete(name);
          }
        });
        r.on("end", again);
        r.on("error", () => undefined);
      },
    );
    req.on("error", again);
    req.end();
  }
  get count(): number {
    return this.seen.size;
  }
  /** When the first object was seen (NaN before any). */
  get first(): number {
    return this.seen.size === 0 ? Number.NaN : Math.min(...this.seen.values());
  }
  when(name: string): Promise<number> {
    const at = this.seen.get(name);
    if (at !== undefined) return Promise.resolve(at);
    return new Promise((r) =>
      this.waiters.set(name, [...(this.waiters.get(name) ?? []), () => r(this.seen.get(name)!)]),
    );
  }
}

/** The member's apiserver_request_total by verb, resource and code (BENCH_REQUESTS=1 prints what each phase sent). */
function requestCounts(t: Target): Promise<Map<string, number>> {
  return new Promise((res, rej) => {
    const req = request(`${t.base}/metrics`, { agent: t.agent, headers: t.headers }, (r) => {
      let b = "";
      r.setEncoding("utf8");
      r.on("data", (c: string) => (b += c));
      r.on("end", () => {
        const m = new Map<string, number>();
        for (const line of b.split("\n")) {
          if (!line.startsWith("apiserver_request_total{")) continue;
          const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
          const k = `${labels.verb} ${labels.resource}${labels.subresource ? `/${labels.subresource}` : ""} ${labels.code}`;
          m.set(k, (m.get(k) ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1)));
        }
        res(m);
      });
    });
    req.on("error", rej);
    req.end();
  });
}

async function requestsSince(t: Target, before: Map<string, number>): Promise<string> {
  const now = await requestCounts(t);
  return [...now]
    .map(([k, v]) => [k, v - (before.get(k) ?? 0)] as const)
    .filter(([, v]) => v >= 5)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k}: ${v}`)
    .join(", ");
}
function metricsText(url: string): Promise<string> {
  return new Promise<string>((res, rej) => {
    httpRequest(`${url}/metrics`, (r) => {
      let b = "";
      r.setEncoding("utf8");
      r.on("data", (c: string) => (b += c));
      r.on("end", () => res(b));
    })
      .on("error", rej)
      .end();
  });
}

/** The propagator's reconciles of one cluster by result (BENCH_REQUESTS=1 prints those of a phase). */
async function reconcileCounts(url: string, cluster: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const m of (await metricsText(url)).matchAll(/^kubefed_propagator_reconciles_total\{([^}]*)\} ([\d.e+-]+)$/gm)) {
    if (!m[1]!.includes(`cluster="${cluster}"`)) continue;
    out.set(/result="([^"]*)"/.exec(m[1]!)?.[1] ?? "?", Number(m[2]));
  }
  return out;
}

async function reconcilesSince(url: string, cluster: string, before: Map<string, number>): Promise<string> {
  const now = await reconcileCounts(url, cluster);
  return [...now]
    .map(([r, n]) => `${r} ${n - (before.get(r) ?? 0)}`)
    .filter((x) => !x.endsWith(" 0"))
    .join(", ");
}

/** Sum and count of the propagator's lag histogram by stage (all clusters). */
async function lagTotals(url: string): Promise<Map<string, { sum: number; count: number }>> {
  const text = await metricsText(url);
  const out = new Map<string, { sum: number; count: number }>();
  for (const m of text.matchAll(
    /^kubefed_propagator_lag_seconds_(sum|count)\{[^}]*stage="(\w+)"[^}]*\} ([\d.e+-]+)$/gm,
  )) {
    const e = out.get(m[2]!) ?? { sum: 0, count: 0 };
    e[m[1] as "sum" | "count"] += Number(m[3]);
    out.set(m[2]!, e);
  }
  return out;
}

/** "fetched 3.1 ms, folded 3.4 ms, applied 12.0 ms": mean lag per stage since `before`. */
async function lagSince(url: string, before: Map<string, { sum: number; count: number }>): Promise<string> {
  const now = await lagTotals(url);
  return ["fetched", "folded", "applied"]
    .map((stage) => {
      const a = now.get(stage) ?? { sum: 0, count: 0 };
      const b = before.get(stage) ?? { sum: 0, count: 0 };
      return `${stage} ${a.count > b.count ? (((a.sum - b.sum) / (a.count - b.count)) * 1000).toFixed(1) : "-"} ms`;
    })
    .join(", ");
}

const SHOW_REQUESTS = process.env.BENCH_REQUESTS === "1";
/** BENCH_PPROF=dir: a Go CPU profile of the 4th member's kube-apiserver over the first seconds of each join measurement. */
const PPROF_DIR = process.env.BENCH_PPROF;
const PPROF_SECONDS = 8;

/** Starts a CPU profile of a member's kube-apiserver (its /debug/pprof); resolves once it is written to `file`. */
function pprof(t: Target, file: string): Promise<void> {
  return new Promise((res, rej) => {
    const req = request(
      `${t.base}/debug/pprof/profile?seconds=${PPROF_SECONDS}`,
      { agent: t.agent, headers: t.headers },
      (r) => {
        const chunks: Buffer[] = [];
        r.on("data", (c: Buffer) => chunks.push(c));
        r.on("end", () =>
          r.statusCode === 200
            ? res(writeFileSync(file, Buffer.concat(chunks)))
            : rej(new Error(`pprof of ${t.name}: HTTP ${r.statusCode}`)),
        );
      },
    );
    req.on("error", rej);
    req.end();
  });
}

const cm = (ns: string, name: string) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: ns },
  data: { payload: name },
});

async function parallel(n: number, width: number, one: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) await one(next++);
    }),
  );
}

const members = ["bench1", "bench2", "bench3", "bench4"];
// Kafka as `kubefed up` and the tests run it: the JVM's quick compiler only. BENCH_KAFKA_JIT=full adds the
// optimising compiler, which on two cores spends the first minutes compiling, i.e. during the latency phase
// (p50 from acceptance about 1.47 × direct with it, about 1.0 without, in the same session).
const env = await startEnvironment({
  members,
  coredns: false,
  opa: false,
  kafkaFullJit: process.env.BENCH_KAFKA_JIT === "full",
  apiserverProfiling: PPROF_DIR !== undefined,
});
try {
  const info = env.info;
  const fed = await startFederation(info, "bench");
  const kubefed = (args: string[]) =>
    execFileSync(resolve(ROOT, "cli/bin/kubefed"), args, { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  const joinMember = (name: string) =>
    kubefed([
      "join",
      name,
      "--host-cluster-context=federation",
      `--cluster-context=${name}`,
      `--kubeconfig=${fed.kubeconfig}`,
      "--federation-name=bench",
    ]);
  for (const m of members.slice(0, 3)) joinMember(m);
  const worker = await startPropagator(info, fed, { env: { LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? "warn" } });
  // BENCH_PIN=1: members on CPU 0, the federation and this client on CPU 1 (see pinComponents).
  if (process.env.BENCH_PIN === "1") process.stdout.write(`pinned: ${pinComponents()}\n`);
  const federation = federationTarget(fed);
  const three = info.members.slice(0, 3).map(memberTarget);
  const fourth = memberTarget(info.members[3]!);
  const out: string[] = [];

  // Namespaces: "fed-*" written through the federation, "direct-*" written to the members themselves.
  await call(federation, "POST", "/api/v1/namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "fed-lat" },
  });
  for (const t of [...three, fourth])
    for (const ns of ["direct-lat", "direct-burst", "direct-join"])
      await call(t, "POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  await new Promise((r) => setTimeout(r, 2000));

  // --- latency -------------------------------------------------------------------------------------------
  if (ONLY.has("latency")) {
    const fedVis = three.map((t) => new Visibility(t, "fed-lat"));
    const directVis = three.map((t) => new Visibility(t, "direct-lat"));
    await new Promise((r) => setTimeout(r, 500));
    const lagBefore = await lagTotals(worker.url);
    const viaFed: number[] = [];
    const viaFedAccepted: number[] = [];
    const direct: number[] = [];
    for (let i = 0; i < LATENCY_N + 10; i++) {
      const name = `lat-${i}`;
      let t0 = performance.now();
      await call(federation, "POST", "/api/v1/namespaces/fed-lat/configmaps", cm("fed-lat", name));
      const accepted = performance.now();
      const f = Math.max(...(await Promise.all(fedVis.map((v) => v.when(name)))));
      t0 = i >= 10 ? (viaFed.push(f - t0), viaFedAccepted.push(f - accepted), performance.now()) : performance.now();
      await Promise.all(
        three.map((t) => call(t, "POST", "/api/v1/namespaces/direct-lat/configmaps", cm("direct-lat", name))),
      );
      const d = Math.max(...(await Promise.all(directVis.map((v) => v.when(name)))));
      if (i >= 10) direct.push(d - t0);
    }
    out.push(
      `latency (${LATENCY_N} sequential ConfigMap creates, visible in all 3 members by watch)`,
      `  direct to 3 members in parallel: p50 ${pct(direct, 50).toFixed(1)} ms  p99 ${pct(direct, 99).toFixed(1)} ms`,
      `  through the federation:          p50 ${pct(viaFed, 50).toFixed(1)} ms  p99 ${pct(viaFed, 99).toFixed(1)} ms   (from acceptance: p50 ${pct(viaFedAccepted, 50).toFixed(1)} ms  p99 ${pct(viaFedAccepted, 99).toFixed(1)} ms)`,
      `  ratio p50 ${(pct(viaFed, 50) / pct(direct, 50)).toFixed(2)}  p99 ${(pct(viaFed, 99) / pct(direct, 99)).toFixed(2)}   (from acceptance: p50 ${(pct(viaFedAccepted, 50) / pct(direct, 50)).toFixed(2)}  p99 ${(pct(viaFedAccepted, 99) / pct(direct, 99)).toFixed(2)})`,
      `  the propagator's mean lag from the append: ${await lagSince(worker.url, lagBefore)}`,
    );
    process.stdout.write(`${out.join("\n")}\n`);
  }

  // --- throughput ----------------------------------------------------------------------------------------
  let cpu = cpuSnapshot();
  let t0 = performance.now();
  if (ONLY.has("throughput")) {
    await call(federation, "POST", "/api/v1/namespaces", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "fed-burst" },
    });
    await new Promise((r) => setTimeout(r, 1000));
    const burstVis = three.map((t) => new Visibility(t, "fed-burst"));
    const directBurstVis = three.map((t) => new Visibility(t, "direct-burst"));
    await new Promise((r) => setTimeout(r, 500));
    await quiesce();
    cpu = cpuSnapshot();
    t0 = performance.now();
    await Promise.all(
      three.map((t) =>
        parallel(BURST_N, PARALLEL, (i) =>
          call(t, "POST", "/api/v1/namespaces/direct-burst/configmaps", cm("direct-burst", `b-${i}`)),
        ),
      ),
    );
    await Promise.all(directBurstVis.map((v) => v.when(`b-${BURST_N - 1}`)));
    const directMs = performance.now() - t0;
    const directCpu = cpuSince(cpu);
    await quiesce();
    const burstReqBefore = SHOW_REQUESTS ? await requestCounts(three[0]!) : new Map<string, number>();
    const burstLagBefore = await lagTotals(worker.url);
    const burstReconcilesBefore = await reconcileCounts(worker.url, three[0]!.name);
    cpu = cpuSnapshot();
    t0 = performance.now();
    await parallel(BURST_N, PARALLEL, (i) =>
      call(federation, "POST", "/api/v1/namespaces/fed-burst/configmaps", cm("fed-burst", `b-${i}`)),
    );
    const acceptedMs = performance.now() - t0;
    while (burstVis.some((v) => v.count < BURST_N)) await new Promise((r) => setTimeout(r, 20));
    const fedMs = performance.now() - t0;
    const fedCpu = cpuSince(cpu);
    const burstLines = [
      `throughput (${BURST_N} ConfigMaps into each of 3 members, ${PARALLEL} in flight)`,
      `  direct:          ${directMs.toFixed(0)} ms  (${((3 * BURST_N) / (directMs / 1000)).toFixed(0)} member writes/s)`,
      `  federation:      ${fedMs.toFixed(0)} ms  (${((3 * BURST_N) / (fedMs / 1000)).toFixed(0)} member writes/s; all accepted after ${acceptedMs.toFixed(0)} ms)`,
      `  ratio (federation/direct throughput) ${(directMs / fedMs).toFixed(2)}`,
      `  CPU, direct:     ${directCpu}`,
      `  CPU, federation: ${fedCpu}`,
      `  the propagator's mean lag from the append: ${await lagSince(worker.url, burstLagBefore)}`,
    ];
    if (SHOW_REQUESTS) {
      burstLines.push(
        `  requests to ${three[0]!.name} through the federation: ${await requestsSince(three[0]!, burstReqBefore)}`,
      );
      burstLines.push(
        `  the propagator's reconciles for ${three[0]!.name}: ${await reconcilesSince(worker.url, three[0]!.name, burstReconcilesBefore)}`,
      );
    }
    process.stdout.write(`${burstLines.join("\n")}\n`);
  }

  // --- join ----------------------------------------------------------------------------------------------
  if (ONLY.has("join")) {
    // The federation must hold exactly JOIN_N ConfigMaps when the 4th member joins, as the direct baseline writes
    // JOIN_N: the earlier phases' objects go first (their deletion converges in the three members before timing).
    const earlier = ["fed-lat", ...(ONLY.has("throughput") ? ["fed-burst"] : [])];
    for (const ns of earlier) await call(federation, "DELETE", `/api/v1/namespaces/${ns}`);
    // A 404 means gone; a keep-alive socket the member reset is simply asked again.
    const gone = (t: Target, path: string) =>
      send(t, "GET", path, undefined, "").then(
        () => false,
        (e: unknown) =>
          (e as NodeJS.ErrnoException).code === "ECONNRESET"
            ? false
            : /HTTP 404/.test(String(e))
              ? true
              : Promise.reject(e),
      );
    const deadline = performance.now() + 180_000;
    for (const t of three) {
      for (const ns of earlier) {
        while (!(await gone(t, `/api/v1/namespaces/${ns}`))) {
          if (performance.now() > deadline)
            throw new Error(
              `namespace ${ns} is still in ${t.name} 3 minutes after its deletion through the federation`,
            );
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    }
    await call(federation, "POST", "/api/v1/namespaces", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "fed-join" },
    });
    await parallel(JOIN_N, PARALLEL, (i) =>
      call(federation, "POST", "/api/v1/namespaces/fed-join/configmaps", cm("fed-join", `j-${i}`)),
    );
    // Let the three members settle so the join is measured alone.
    const settle = three.map((t) => new Visibility(t, "fed-join"));
    while (settle.some((v) => v.count < JOIN_N)) await new Promise((r) => setTimeout(r, 100));
    const directJoinVis = new Visibility(fourth, "direct-join");
    // The three members' status reports are folded before anything is measured.
    await quiesce();
    await new Promise((r) => setTimeout(r, 500));
    cpu = cpuSnapshot();
    t0 = performance.now();
    const directProfile = PPROF_DIR ? pprof(fourth, `${PPROF_DIR}/direct.pprof`) : undefined;
    await parallel(JOIN_N, PARALLEL, (i) =>
      call(fourth, "POST", "/api/v1/namespaces/direct-join/configmaps", cm("direct-join", `j-${i}`)),
    );
    while (directJoinVis.count < JOIN_N) await new Promise((r) => setTimeout(r, 20));
    const directJoinMs = performance.now() - t0;
    const directJoinCpu = cpuSince(cpu);
    await directProfile;
    await quiesce();
    const reqBefore = SHOW_REQUESTS ? await requestCounts(fourth) : new Map<string, number>();
    cpu = cpuSnapshot();
    // Seen exactly as the direct baseline is: a watch on the namespace (a watch needs no namespace to exist yet),
    // polled every 20 ms.
    const joinVis = new Visibility(fourth, "fed-join");
    await new Promise((r) => setTimeout(r, 500));
    t0 = performance.now();
    joinMember("bench4");
    const joinedAt = performance.now();
    const joinProfile = PPROF_DIR ? pprof(fourth, `${PPROF_DIR}/join.pprof`) : undefined;
    while (joinVis.count < JOIN_N) await new Promise((r) => setTimeout(r, 20));
    const joinMs = performance.now() - t0;
    const joinCpu = cpuSince(cpu);
    await joinProfile;
    if (SHOW_REQUESTS)
      process.stdout.write(`  requests to the 4th member during the join: ${await requestsSince(fourth, reqBefore)}\n`);
    const joinLines = [
      `join (a 4th member joins a federation holding ${JOIN_N} ConfigMaps)`,
      `  direct apply of ${JOIN_N} to it: ${directJoinMs.toFixed(0)} ms`,
      `  join until it holds all:  ${joinMs.toFixed(0)} ms (kubefed join itself: ${(joinedAt - t0).toFixed(0)} ms; first object after ${(joinVis.first - t0).toFixed(0)} ms)`,
      `  ratio ${(joinMs / directJoinMs).toFixed(2)}`,
      `  CPU, direct: ${directJoinCpu}`,
      `  CPU, join:   ${joinCpu}`,
    ];
    process.stdout.write(`${joinLines.join("\n")}\n`);
  }
  await worker.stop();
  await fed.stop();
  process.exit(0);
} finally {
  await env.stop();
}
