/**
 * Benchmark (run on demand, alone: `npm run bench:history`): the cost of history on a recorded log of
 * BENCH_EVENTS (default 1,000,000) events (historylog.ts).
 *
 *   fold       decode + evolve of every record, in this process (one core), and the same with the history
 *              index fed (what the ingest does per event)
 *   cold start the ingest on that log: from offset 0 (no snapshot stored yet), then restarted with the snapshot
 *              it wrote (stop + start); RSS of each, and when history (read in the background) is ready
 *   queries    one object's history (the object with the most revisions) and an actor query (one page of a
 *              user's changes in a one-hour window), BENCH_QUERIES each, p50/p99 over HTTPS
 *   disk       bytes of the objects topic's log segments per event, and the snapshot's size
 *
 * BENCH_ONLY=fold stops after the in-process part (no environment). Not a test: the machine is shared, so read
 * medians and ratios.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Agent, request } from "node:https";
import { decodeEvent, parseKeyring } from "@kubefed/events";
import { byEvent, SnapshotStore } from "@kubefed/follower";
import { KafkaClient } from "@kubefed/kafka";
import { objectsTopic, snapshotsTopic, statusTopic, eventsTopic } from "@kubefed/names";
import { startEnvironment, startFederation, type Federation } from "@kubefed/localenv";
import { evolve, initialState, type FederationState } from "@kubefed/state";
import { HistoryIndex } from "../../services/ingest/src/historyindex.ts";
import { pct } from "./client.ts";
import { ACTORS, recordLog } from "./historylog.ts";

const N = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 200);
const FED = "histbench";
const say = (s: string) => process.stdout.write(`${s}\n`);
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

say(`recording a log of ${N} events...`);
let t = process.hrtime.bigint();
const log = recordLog(N);
say(`  ${(ms(t) / 1000).toFixed(1)} s; ${(log.bytes / N).toFixed(0)} bytes per event value (Avro)`);
say(
  `  busiest object ${log.busiest.ref.kind} ${log.busiest.ref.namespace}/${log.busiest.ref.name}: ${log.busiest.revisions} revisions`,
);

// ---- fold rate, in process ----------------------------------------------------------------------------------
const BATCH = 500;
const index = new HistoryIndex();
const step = byEvent((s: FederationState, e: ReturnType<typeof decodeEvent>, offset: string) =>
  evolve(s, e, { offset }),
);
let state = initialState();
let indexNs = 0n;
const t0 = process.hrtime.bigint();
for (let i = 0; i < N; i += BATCH) {
  const batch = [];
  for (let j = i; j < Math.min(N, i + BATCH); j++) {
    const r = log.records[j]!;
    batch.push({ event: decodeEvent({ value: r.value, headers: r.headers }), offset: String(j) });
  }
  const out = step(state, batch);
  state = out.state;
  const ti = process.hrtime.bigint();
  index.add(out.changes);
  indexNs += process.hrtime.bigint() - ti;
}
const totalMs = ms(t0);
const foldMs = totalMs - Number(indexNs) / 1e6;
say(`fold (decode + evolve): ${Math.round(N / (foldMs / 1000)).toLocaleString("en")} events/s`);
say(`history index on top:   ${((Number(indexNs) / 1e6 / totalMs) * 100).toFixed(1)}% more (${index.size} revisions)`);
let objects = 0;
for (const k of Object.values(state.kinds)) objects += k.size;
say(`  state at the end: ${objects} objects`);

if (process.env.BENCH_ONLY === "fold") process.exit(0);

// ---- the real thing -----------------------------------------------------------------------------------------
const env = await startEnvironment({ members: ["hb1"], coredns: false, opa: false, loadBalancer: false });
const kafka = new KafkaClient({ brokers: [env.info.kafka.bootstrap], clientId: "bench-history" });
try {
  // The topics as the ingest creates them, filled with the recorded log before any ingest starts.
  await kafka.ensureTopics([
    {
      name: objectsTopic(FED),
      partitions: 1,
      replicationFactor: 1,
      config: { "retention.ms": "-1", "retention.bytes": "-1" },
    },
    { name: statusTopic(FED), partitions: 1, replicationFactor: 1, config: { "cleanup.policy": "compact" } },
    { name: eventsTopic(FED), partitions: 1, replicationFactor: 1 },
    { name: snapshotsTopic(FED), partitions: 1, replicationFactor: 1, config: { "cleanup.policy": "compact" } },
  ]);
  const appender = await kafka.appender();
  t = process.hrtime.bigint();
  // One request at a time of 500 records (~170 KB): the appender puts concurrent appends in one produce request,
  // and a request over the broker's 1 MiB message limit is refused.
  const chunk = 500;
  for (let i = 0; i < N; i += chunk)
    await appender.append(
      objectsTopic(FED),
      log.records.slice(i, i + chunk).map((r) => ({ key: null, value: r.value, headers: r.headers })),
    );
  await appender.close();
  say(`appended ${N} events to ${objectsTopic(FED)} in ${(ms(t) / 1000).toFixed(1)} s`);

  const dataDir = join(env.info.runDir, "kafka", "data", `${objectsTopic(FED)}-0`);
  const segments = readdirSync(dataDir).filter((f) => f.endsWith(".log"));
  const disk = segments.reduce((s, f) => s + statSync(join(dataDir, f)).size, 0);
  say(
    `disk: ${(disk / N).toFixed(0)} bytes per event in the objects topic's segments (${(disk / 1e6).toFixed(0)} MB per million events; indexes not counted)`,
  );

  const rss = (fed: Federation) => {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${fed.proc.pid}/status`, "utf8"));
    return m ? `${(Number(m[1]) / 1024).toFixed(0)} MiB` : "?";
  };
  // Interval N: the ingest writes a snapshot as soon as it has folded the log.
  t = process.hrtime.bigint();
  const fed = await startFederation(env.info, FED, {
    env: { INGEST_SNAPSHOT_INTERVAL: String(N), LOG_LEVEL: "warn" },
    readyTimeoutMs: 1_800_000,
  });
  const coldMs = ms(t);
  say(`cold start, no snapshot: ${(coldMs / 1000).toFixed(2)} s to ready, RSS ${rss(fed)}`);
  const agent = new Agent({ keepAlive: true, ca: readFileSync(fed.caFile) });
  const get = (path: string) =>
    new Promise<{ status: number; body: string }>((res, rej) => {
      const req = request(`${fed.url}${path}`, { agent, headers: { authorization: `Bearer ${fed.token}` } }, (r) => {
        let body = "";
        r.setEncoding("utf8");
        r.on("data", (c: string) => (body += c));
        r.on("end", () => res({ status: r.statusCode ?? 0, body }));
      });
      req.on("error", rej);
      req.end();
    });

  const store = new SnapshotStore({
    source: kafka,
    topic: snapshotsTopic(FED),
    objectsTopic: objectsTopic(FED),
    keyring: parseKeyring(readFileSync(fed.keyFile, "utf8")),
  });
  t = process.hrtime.bigint();
  let snap = await store.latest().catch(() => undefined);
  while (!snap || snap.position < BigInt(N)) {
    await new Promise((r) => setTimeout(r, 250));
    snap = await store.latest().catch(() => undefined);
  }
  const snapBytes = (await kafka.endOffsets(snapshotsTopic(FED)))[0]!.offset;
  say(
    `snapshot at offset ${snap.position} stored ${(ms(t) / 1000).toFixed(1)} s after ready (${snapBytes} messages in the topic)`,
  );

  t = process.hrtime.bigint();
  await fed.restart();
  const warmMs = ms(t);
  say(`restart with the snapshot (stop + start): ${(warmMs / 1000).toFixed(2)} s to ready, RSS ${rss(fed)}`);
  const b = log.busiest.ref;
  const historyPath = `/federation/history?resource=${b.kind.toLowerCase()}s&name=${b.name}&namespace=${b.namespace}`;
  t = process.hrtime.bigint();
  while ((await get(historyPath)).status === 503) await new Promise((r) => setTimeout(r, 100));
  say(`  history (read in the background) ready ${(ms(t) / 1000).toFixed(2)} s after that, RSS ${rss(fed)}`);

  const time = async (path: string) => {
    const samples: number[] = [];
    for (let i = 0; i < QUERIES + 5; i++) {
      const t0 = process.hrtime.bigint();
      const r = await get(path);
      if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status} ${r.body.slice(0, 200)}`);
      if (i >= 5) samples.push(ms(t0));
    }
    samples.sort((x, y) => x - y);
    return `p50 ${pct(samples, 50).toFixed(1)} ms, p99 ${pct(samples, 99).toFixed(1)} ms`;
  };
  const first = JSON.parse((await get(`${historyPath}&limit=500`)).body) as { revisions: unknown[] };
  say(
    `history of one object (${log.busiest.revisions} revisions, first page of ${first.revisions.length}): ${await time(`${historyPath}&limit=500`)}`,
  );
  const since = new Date(log.start + (log.end - log.start) / 2).toISOString();
  const until = new Date(Date.parse(since) + 3_600_000).toISOString();
  const actorPath = `/federation/changes?actor=${ACTORS[3]}&since=${since}&until=${until}&limit=100`;
  const page = JSON.parse((await get(actorPath)).body) as { changes: unknown[] };
  say(`actor query (one hour, page of ${page.changes.length}): ${await time(actorPath)}`);
  const rvPath = `/api/v1/namespaces/team-7/configmaps?resourceVersion=${Math.floor(N / 2)}&resourceVersionMatch=Exact`;
  const items = (JSON.parse((await get(rvPath)).body) as { items: unknown[] }).items.length;
  say(`point-in-time list (one namespace, ${items} items at rv ${Math.floor(N / 2)}): ${await time(rvPath)}`);
  agent.destroy();
  await fed.stop();
} finally {
  await kafka.close();
  await env.stop();
}
