// BIND 9 and Knot on their own, without the rest of the environment: for benchmarks and tools that only need an
// authoritative server taking dynamic updates. Same run directories, reaping and exit handling as startEnvironment.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AuthoritativeDnsInfo } from "./authdns.ts";
import { startBind } from "./bind.ts";
import { ensureDnsServers, type Progress } from "./install.ts";
import { startKnot } from "./knot.ts";
import { installExitHandlers, reapStaleRuns, type Managed } from "./process.ts";
import { freePort } from "./ready.ts";
import { binaryPaths, cacheRoot } from "./versions.ts";

export interface DnsServersOptions {
  bind?: boolean;
  knot?: boolean;
  /** With the trailing dot; default kubefed.test. */
  zone?: string;
  runsRoot?: string;
  readyTimeoutMs?: number;
  progress?: Progress;
}

export interface DnsServers {
  bind?: AuthoritativeDnsInfo;
  knot?: AuthoritativeDnsInfo;
  runDir: string;
  stop(): Promise<void>;
}

export async function startDnsServers(opts: DnsServersOptions): Promise<DnsServers> {
  const progress = opts.progress ?? ((line: string) => process.stderr.write(`[localenv] ${line}\n`));
  ensureDnsServers(progress);
  const runsRoot = opts.runsRoot ?? join(cacheRoot(), "runs");
  mkdirSync(runsRoot, { recursive: true });
  for (const r of reapStaleRuns(runsRoot)) progress(`stopped ${r} left over from an earlier run`);
  const runDir = mkdtempSync(join(runsRoot, `${new Date().toISOString().replace(/[:.]/g, "-")}-dns-`));
  writeFileSync(join(runDir, "owner"), `${process.pid}\n`);
  const procs: Managed[] = [];
  const stop = async () => {
    for (const p of procs.splice(0)) await p.stop().catch(() => undefined);
  };
  installExitHandlers(() => stop());
  const zone = opts.zone ?? "kubefed.test.";
  const timeout = opts.readyTimeoutMs ?? 60_000;
  const bin = binaryPaths();
  const started = await Promise.allSettled([
    opts.bind ? freePort().then((p) => startBind(bin, runDir, p, zone, timeout)) : Promise.resolve(undefined),
    opts.knot ? freePort().then((p) => startKnot(bin, runDir, p, zone, timeout)) : Promise.resolve(undefined),
  ]);
  for (const s of started) if (s.status === "fulfilled" && s.value) procs.push(s.value.proc);
  const failed = started.find((s) => s.status === "rejected");
  if (failed) {
    await stop();
    throw failed.reason;
  }
  const [bind, knot] = started.map((s) => (s.status === "fulfilled" ? s.value?.info : undefined));
  return { runDir, stop, ...(bind ? { bind } : {}), ...(knot ? { knot } : {}) };
}
