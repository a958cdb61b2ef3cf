/**
 * Benchmark (run on demand: `npm run bench:rfc2136`): the RFC 2136 provider against BIND 9 and Knot, started
 * on their own (no Kafka, no members).
 *
 *   throughput  10,000 A record sets applied by one provider.apply (batches bounded by message size), then
 *               listed back by AXFR (a full resync's read), then deleted; versus nsupdate sending the same
 *               10,000 records, the same number per message, without owner markers or prerequisites.
 *   latency     one small update (a set's address replaced) through provider.apply, connection and TSIG
 *               included; versus the same update by one long-running nsupdate process (`send` + `answer`).
 *
 * Prints rates, p50 and p99. Not a test: the machine is shared, so read the ratios.
 */
import { spawn } from "node:child_process";
import { Resolver } from "node:dns/promises";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { startDnsServers, type AuthoritativeDnsInfo } from "@kubefed/localenv";
import { tsigKey } from "@kubefed/dnsupdate";
import { Rfc2136Provider, type RecordSet } from "@kubefed/dns-sync";
import { pct } from "./client.ts";

const SETS = Number(process.env.BENCH_SETS ?? 10_000);
const LATENCY_N = Number(process.env.BENCH_LATENCY_N ?? 200);
const OWNER = "bench";

async function serial(s: AuthoritativeDnsInfo): Promise<number> {
  const r = new Resolver();
  r.setServers([`${s.host}:${s.port}`]);
  return (await r.resolveSoa(s.zone)).serial;
}

const ip = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

function provider(s: AuthoritativeDnsInfo): Rfc2136Provider {
  return new Rfc2136Provider({
    server: { host: s.host, port: s.port },
    key: tsigKey(s.tsig.keyName, s.tsig.algorithm, s.tsig.secret),
    timeoutMs: 60_000,
  });
}

/** Runs nsupdate on a script file; resolves with the seconds it took. */
function nsupdateScript(s: AuthoritativeDnsInfo, script: string, file: string): Promise<number> {
  writeFileSync(file, script);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const p = spawn(
      "nsupdate",
      ["-v", "-t", "60", "-y", `${s.tsig.algorithm}:${s.tsig.keyName}:${s.tsig.secret}`, file],
      {
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let err = "";
    p.stderr.on("data", (c: Buffer) => (err += c.toString()));
    p.once("exit", (code) =>
      code === 0 ? resolve((performance.now() - started) / 1000) : reject(new Error(`nsupdate failed: ${err}`)),
    );
  });
}

/** One nsupdate process for many updates: each `send` followed by `answer`, whose status line says it is done. */
class NsupdateSession {
  private readonly p;
  private out = "";
  private waiting: (() => void) | undefined;
  constructor(s: AuthoritativeDnsInfo) {
    this.p = spawn("nsupdate", ["-v", "-y", `${s.tsig.algorithm}:${s.tsig.keyName}:${s.tsig.secret}`], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    this.p.stdout.on("data", (c: Buffer) => {
      this.out += c.toString();
      if (this.waiting && /status: NOERROR/.test(this.out)) {
        this.out = "";
        const w = this.waiting;
        this.waiting = undefined;
        w();
      } else if (/status: (?!NOERROR)/.test(this.out)) throw new Error(`nsupdate: ${this.out}`);
    });
    this.p.stdin.write(`server ${s.host} ${s.port}\nzone ${s.zone}\n`);
  }
  update(lines: string): Promise<void> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.p.stdin.write(`${lines}send\nanswer\n`);
    });
  }
  close(): void {
    this.p.stdin.end("quit\n");
  }
}

async function throughput(label: string, s: AuthoritativeDnsInfo, dir: string): Promise<void> {
  const sub = `tp.${s.zone}`;
  const sets: RecordSet[] = Array.from({ length: SETS }, (_, i) => ({
    name: `svc${i}.ns.fed.svc.${sub}`,
    type: "A",
    ttl: 30,
    values: [ip(i)],
  }));
  const p = provider(s);
  const serialBefore = await serial(s);
  let t = performance.now();
  await p.apply(
    s.zone,
    OWNER,
    sets.map((set) => ({ action: "upsert", set })),
  );
  const applySec = (performance.now() - t) / 1000;
  // Both servers raise the serial once per UPDATE message.
  const messages = (await serial(s)) - serialBefore;
  t = performance.now();
  const listed = await provider(s).listOwned(s.zone, OWNER);
  const listSec = (performance.now() - t) / 1000;
  if (listed.length !== SETS) throw new Error(`${label}: listed ${listed.length} sets, applied ${SETS}`);
  t = performance.now();
  await p.apply(
    s.zone,
    OWNER,
    sets.map((set) => ({ action: "delete", set })),
  );
  const deleteSec = (performance.now() - t) / 1000;

  // The same records by nsupdate, as many per message as the provider put in one.
  const perMessage = Math.ceil(SETS / messages);
  const lines: string[] = [`server ${s.host} ${s.port}`, `zone ${s.zone}`];
  sets.forEach((set, i) => {
    lines.push(`update add ${set.name} 30 A ${set.values[0]}`);
    if ((i + 1) % perMessage === 0 || i === sets.length - 1) lines.push("send");
  });
  const nsAdd = await nsupdateScript(s, `${lines.join("\n")}\n`, join(dir, `${label}-add.txt`));
  const dels: string[] = [`server ${s.host} ${s.port}`, `zone ${s.zone}`];
  sets.forEach((set, i) => {
    dels.push(`update delete ${set.name} A`);
    if ((i + 1) % perMessage === 0 || i === sets.length - 1) dels.push("send");
  });
  const nsDel = await nsupdateScript(s, `${dels.join("\n")}\n`, join(dir, `${label}-del.txt`));

  const rate = (sec: number) => `${Math.round(SETS / sec)}/s`.padStart(8);
  console.log(
    `${label.padEnd(6)} ${SETS} sets  apply ${rate(applySec)} (nsupdate ${rate(nsAdd)}, ratio ${(nsAdd / applySec).toFixed(2)})` +
      `  delete ${rate(deleteSec)} (nsupdate ${rate(nsDel)}, ratio ${(nsDel / deleteSec).toFixed(2)})` +
      `  listOwned (AXFR) ${listSec.toFixed(2)} s; ${messages} messages, ${perMessage} sets each`,
  );
}

async function latency(label: string, s: AuthoritativeDnsInfo): Promise<void> {
  const name = `lat.${s.zone}`;
  const p = provider(s);
  const ours: number[] = [];
  for (let i = 0; i < LATENCY_N + 5; i++) {
    const t = performance.now();
    await p.apply(s.zone, OWNER, [{ action: "upsert", set: { name, type: "A", ttl: 30, values: [ip(i)] } }]);
    if (i >= 5) ours.push(performance.now() - t);
  }
  await p.apply(s.zone, OWNER, [{ action: "delete", set: { name, type: "A", ttl: 30, values: [ip(0)] } }]);
  const ns = new NsupdateSession(s);
  const theirs: number[] = [];
  for (let i = 0; i < LATENCY_N + 5; i++) {
    const t = performance.now();
    await ns.update(`update delete ${name} A\nupdate add ${name} 30 A ${ip(i)}\n`);
    if (i >= 5) theirs.push(performance.now() - t);
  }
  await ns.update(`update delete ${name} A\n`);
  ns.close();
  const f = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(2)} ms, p99 ${pct(xs, 99).toFixed(2)} ms`;
  console.log(
    `${label.padEnd(6)} one small update: provider ${f(ours)}; nsupdate ${f(theirs)}; p50 ratio ${(pct(ours, 50) / pct(theirs, 50)).toFixed(2)}`,
  );
}

const servers = await startDnsServers({ bind: true, knot: true });
try {
  console.log(`bench:rfc2136 ${new Date().toISOString()}: ${SETS} sets, ${LATENCY_N} latency samples`);
  for (const [label, s] of [
    ["bind9", servers.bind!],
    ["knot", servers.knot!],
  ] as const) {
    await latency(label, s);
    await throughput(label, s, servers.runDir);
  }
} finally {
  await servers.stop();
}
