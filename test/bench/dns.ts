/**
 * Benchmark (run on demand: `npm run bench:dns`): DNS for federated Services with the coredns provider (etcd v3 +
 * CoreDNS), on the local environment.
 *
 *   latency     a member-side change, a Service's pods in member1 becoming not ready (endpoints to 0) and ready
 *               again, until CoreDNS answers the member's zone name differently over UDP (a CNAME to the region,
 *               then the address again); versus the floor, the same record change written straight to etcd
 *               until CoreDNS answers it.
 *   converge    10,000 Services of type LoadBalancer in two members (a synthesised log: 2 Clusters, 10,000
 *               ObjectCreated, 2 ClusterHealth and 20,000 ObjectObserved reports, as the ingest and the
 *               propagator write them, appended to a federation's topics), dns-sync started on it: time from
 *               its start to the zone converged (fold, plan, apply), in record sets per second; versus the same
 *               sets written by the provider alone (CorednsProvider.apply, same batch size).
 *   resync      dns-sync restarted on that converged zone: time until it has listed, planned and diffed it all.
 *
 * Prints medians, p99 and ratios. Not a test: the machine is shared, so read medians and ratios.
 */
import { execFileSync } from "node:child_process";
import { Resolver } from "node:dns/promises";
import { resolve } from "node:path";
import { encodeEvent, encodeStatus, type StatusReport } from "@kubefed/events";
import { CorednsProvider } from "@kubefed/dns-sync";
import { diffRecordSets, planService, type ClusterSite, type PlannedService, type RecordSet } from "@kubefed/dnsplan";
import { cluster, lbStatus, observed, service } from "@kubefed/dnsplan/testing";
import { KafkaClient } from "@kubefed/kafka";
import { startDnsSync, startEnvironment, startFederation, startPropagator } from "@kubefed/localenv";
import { objectsTopic, statusTopic } from "@kubefed/names";
import { health } from "@kubefed/status/testing";
import { memberTarget, pct, send } from "./client.ts";

const ROUNDS = Number(process.env.BENCH_DNS_ROUNDS ?? 20);
const SERVICES = Number(process.env.BENCH_DNS_SERVICES ?? 10_000);
const ROOT = resolve(import.meta.dirname, "../..");
const TOPOLOGY = { member1: { region: "eu", zones: ["eu-a"] }, member2: { region: "us", zones: ["us-a"] } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const line = (label: string, xs: number[], base?: number[]) =>
  `  ${label.padEnd(40)} p50 ${pct(xs, 50).toFixed(0).padStart(5)} ms  p99 ${pct(xs, 99).toFixed(0).padStart(5)} ms${base ? `   ratio p50 ${(pct(xs, 50) / pct(base, 50)).toFixed(2)}  p99 ${(pct(xs, 99) / pct(base, 99)).toFixed(2)}` : ""}`;

const env = await startEnvironment({ members: ["member1", "member2"], coredns: true, opa: false, topology: TOPOLOGY });
const info = env.info;
const dns = info.coredns!;
const resolver = new Resolver({ timeout: 500, tries: 4 });
resolver.setServers([`127.0.0.1:${dns.port}`]);
/** "A:ip,ip" or "CNAME:target" as CoreDNS answers over UDP now. */
async function answer(name: string): Promise<string> {
  const cname = await resolver.resolveCname(name).catch(() => []);
  if (cname.length > 0) return `CNAME:${cname[0]}`;
  const a = await resolver.resolve4(name).catch(() => []);
  return `A:${[...a].sort().join(",")}`;
}
async function until(name: string, want: (a: string) => boolean, timeoutMs = 30_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (want(await answer(name))) return performance.now();
    if (performance.now() > deadline)
      throw new Error(`${name} never answered as expected (last: ${await answer(name)})`);
    await sleep(2);
  }
}
/** dns-sync's /sync, or undefined while it does not answer (busy folding or planning). */
const syncState = (h: { sync(): Promise<{ converged: boolean; owned: number; passes: number }> }) =>
  h.sync().catch(() => undefined);
const kubectl = (args: string[], kubeconfig = info.kubeconfig) =>
  execFileSync(info.kubectl, ["--kubeconfig", kubeconfig, ...args], { encoding: "utf8" });

/** Mean of dns-sync's kubefed_dns_sync_lag_seconds{stage="applied"}, in ms. */
async function meanLag(url: string): Promise<string> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (m: string) =>
    Number(new RegExp(`^kubefed_dns_sync_lag_seconds_${m}\\{stage="applied"\\} (\\S+)$`, "m").exec(text)?.[1]);
  return ((value("sum") / value("count")) * 1000).toFixed(0);
}

try {
  // --- latency -------------------------------------------------------------------------------------------
  const fed = await startFederation(info, "dnsbench");
  for (const [m, t] of Object.entries(TOPOLOGY))
    execFileSync(
      resolve(ROOT, "cli/bin/kubefed"),
      [
        "join",
        m,
        "--host-cluster-context=federation",
        `--cluster-context=${m}`,
        `--kubeconfig=${fed.kubeconfig}`,
        "--federation-name=dnsbench",
        `--region=${t.region}`,
        `--zone=${t.zones[0]}`,
      ],
      { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] },
    );
  const worker = await startPropagator(info, fed, {
    env: { LOG_LEVEL: "warn", PROPAGATOR_HEALTH_PROBE_INTERVAL: "500ms" },
  });
  const sync = await startDnsSync(info, fed, { env: { LOG_LEVEL: "warn" } });
  kubectl(["--context", "federation", "create", "namespace", "bench"], fed.kubeconfig);
  kubectl(
    ["--context", "federation", "-n", "bench", "create", "deployment", "web", "--image=nginx", "--replicas=1"],
    fed.kubeconfig,
  );
  kubectl(
    ["--context", "federation", "-n", "bench", "expose", "deployment", "web", "--port=80", "--type=LoadBalancer"],
    fed.kubeconfig,
  );
  const zoneName = `web.bench.dnsbench.svc.eu-a.eu.${dns.zone}`;
  await until(zoneName, (a) => a.startsWith("A:127."), 180_000);
  // Pods are patched over HTTPS (kept-alive), so no kubectl start-up sits in the measured path.
  const member1 = memberTarget(info.members.find((m) => m.name === "member1")!);
  const pods = kubectl([
    "--context",
    "member1",
    "-n",
    "bench",
    "get",
    "pods",
    "-l",
    "app=web",
    "-o",
    "jsonpath={.items[*].metadata.name}",
  ])
    .split(/\s+/)
    .filter(Boolean);
  const setReady = async (ready: boolean) => {
    for (const pod of pods)
      await send(
        member1,
        "PATCH",
        `/api/v1/namespaces/bench/pods/${pod}/status`,
        { status: { conditions: [{ type: "Ready", status: ready ? "True" : "False" }] } },
        "application/strategic-merge-patch+json",
      );
  };
  const down: number[] = [];
  const up: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    let t0 = performance.now();
    await setReady(false);
    down.push((await until(zoneName, (a) => a.startsWith("CNAME:"))) - t0);
    await sleep(300);
    t0 = performance.now();
    await setReady(true);
    up.push((await until(zoneName, (a) => a.startsWith("A:127."))) - t0);
    await sleep(300);
  }
  // The floor: the same change (A to CNAME and back) written straight to etcd, until CoreDNS answers it.
  const direct = new CorednsProvider({ etcdEndpoints: [info.etcd.endpoint], prefix: dns.etcdPrefix });
  const floorName = `floor.bench.dnsbench.svc.eu-a.eu.${dns.zone}`;
  const floor: number[] = [];
  const aSet: RecordSet = { name: floorName, type: "A", ttl: 30, values: ["127.0.0.9"] };
  const cSet: RecordSet = {
    name: floorName,
    type: "CNAME",
    ttl: 30,
    values: [`floor.bench.dnsbench.svc.eu.${dns.zone}`],
  };
  await direct.apply(dns.zone, "floor", [{ action: "upsert", set: aSet }]);
  for (let i = 0; i < ROUNDS * 2; i++) {
    const toCname = i % 2 === 0;
    const t0 = performance.now();
    await direct.apply(
      dns.zone,
      "floor",
      toCname
        ? [
            { action: "delete", set: aSet },
            { action: "upsert", set: cSet },
          ]
        : [
            { action: "delete", set: cSet },
            { action: "upsert", set: aSet },
          ],
    );
    floor.push((await until(floorName, (a) => a.startsWith(toCname ? "CNAME:" : "A:127."))) - t0);
  }
  process.stdout.write(
    [
      `latency (${ROUNDS} rounds each way; from the member-side change to CoreDNS's new answer over UDP)`,
      line("endpoints to 0 -> zone name is a CNAME:", down, floor),
      line("endpoints back -> zone name has the A:", up, floor),
      line("both:", [...down, ...up], floor),
      line("floor: direct etcd write to answer:", floor),
      `  dns-sync's own lag, status report appended to records applied: mean ${await meanLag(sync.url)} ms`,
      "",
    ].join("\n"),
  );
  await sync.stop();
  await worker.stop();

  // --- converge and resync -------------------------------------------------------------------------------
  const big = "dnsbig";
  const kafka = new KafkaClient({ brokers: [info.kafka.bootstrap], clientId: "bench-dns" });
  await kafka.ensureTopics([
    { name: objectsTopic(big), partitions: 1, replicationFactor: 1 },
    { name: statusTopic(big), partitions: 1, replicationFactor: 1 },
  ]);
  const appender = await kafka.appender();
  // In namespace "default", which exists without a Namespace object (the fold refuses others without one).
  const events = [cluster("member1", "eu", "eu-a"), cluster("member2", "us", "us-a")];
  for (let i = 0; i < SERVICES; i++) events.push(service(`s${i}`, "LoadBalancer", "default"));
  for (let i = 0; i < events.length; i += 1000)
    await appender.append(
      objectsTopic(big),
      events.slice(i, i + 1000).map((e) => encodeEvent(e)),
    );
  const ip = (m: number, i: number) => `10.${m}.${Math.floor(i / 256)}.${i % 256}`;
  const now = new Date().toISOString();
  const reports: StatusReport[] = [
    health("member1", true, now, { region: "eu", zones: ["eu-a"] }),
    health("member2", true, now, { region: "us", zones: ["us-a"] }),
  ];
  // Offset of Service s<i>'s creation: 2 + i (after the two Clusters).
  for (let i = 0; i < SERVICES; i++)
    for (const m of [1, 2])
      reports.push(observed(`member${m}`, `s${i}`, String(2 + i), lbStatus(ip(m, i), 1), "default"));
  for (let i = 0; i < reports.length; i += 1000)
    await appender.append(
      statusTopic(big),
      reports.slice(i, i + 1000).map((r) => encodeStatus(r)),
    );

  // What dns-sync should end at, planned here: also the sets of the direct baseline (under another zone name).
  const sites = new Map<string, ClusterSite>([
    ["member1", { name: "member1", ready: true, region: "eu", zone: "eu-a" }],
    ["member2", { name: "member2", ready: true, region: "us", zone: "us-a" }],
  ]);
  const svc = (i: number): PlannedService => ({
    namespace: "default",
    name: `s${i}`,
    targets: [1, 2].map((m) => ({ cluster: `member${m}`, addresses: [ip(m, i)], hostnames: [], readyEndpoints: 1 })),
  });
  const expected = Array.from({ length: SERVICES }, (_, i) =>
    planService(svc(i), sites, { federation: big, zone: dns.zone, ttl: 30 }),
  ).flat();

  const t0 = performance.now();
  const bigSync = await startDnsSync(info, { name: big }, { env: { LOG_LEVEL: "warn" } });
  const readyAt = performance.now();
  for (;;) {
    const s = await syncState(bigSync);
    if (s?.converged && s.owned === expected.length) break;
    await sleep(20);
  }
  const converged = performance.now();
  const owned = await direct.listOwned(dns.zone, big);
  if (diffRecordSets(expected, owned).length !== 0) throw new Error("the converged zone is not the planned set");

  const r0 = performance.now();
  await bigSync.restart();
  const restartedAt = performance.now();
  for (;;) {
    const s = await syncState(bigSync);
    if (s?.converged && s.passes >= 1) break;
    await sleep(20);
  }
  const resynced = performance.now();
  await bigSync.stop();

  // Baseline: the same sets written by the provider alone, batch by batch, under another zone name.
  const baseZone = `direct.${dns.zone}`;
  const baseSets = Array.from({ length: SERVICES }, (_, i) =>
    planService(svc(i), sites, { federation: big, zone: baseZone, ttl: 30 }),
  ).flat();
  const b0 = performance.now();
  for (let i = 0; i < baseSets.length; i += 100)
    await direct.apply(
      baseZone,
      "direct",
      baseSets.slice(i, i + 100).map((set) => ({ action: "upsert" as const, set })),
    );
  const b1 = performance.now();
  const rate = (n: number, ms: number) => `${((n / ms) * 1000).toFixed(0)} sets/s`;
  process.stdout.write(
    [
      `converge (${SERVICES} Services, ${expected.length} record sets, ${expected.reduce((n, s) => n + s.values.length, 0)} etcd keys)`,
      `  dns-sync start to converged:             ${((converged - t0) / 1000).toFixed(1)} s (${rate(expected.length, converged - t0)}; of which start and fold of both topics ${((readyAt - t0) / 1000).toFixed(1)} s, plan and apply ${((converged - readyAt) / 1000).toFixed(1)} s: ${rate(expected.length, converged - readyAt)})`,
      `  direct: provider.apply alone:            ${((b1 - b0) / 1000).toFixed(1)} s (${rate(baseSets.length, b1 - b0)})   ratio ${((converged - readyAt) / (b1 - b0)).toFixed(2)} (plan and apply)`,
      `  full resync after a restart:             ${((resynced - r0) / 1000).toFixed(1)} s (of which start and fold ${((restartedAt - r0) / 1000).toFixed(1)} s; list, plan and diff ${((resynced - restartedAt) / 1000).toFixed(1)} s)`,
      "",
    ].join("\n"),
  );
  await appender.close();
  await kafka.close();
  await fed.stop();
} finally {
  await env.stop();
}
