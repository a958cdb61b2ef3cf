/**
 * CPU seconds spent by each component of the local environment between two snapshots (from /proc/<pid>/stat),
 * so a benchmark can say where its time went: member kube-apiservers, etcd, Kafka, the ingest, the propagator.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

const TICKS = 100; // USER_HZ on Linux

function component(cmdline: string): string | undefined {
  const member = /--etcd-prefix=\/members\/([^\0]+)/.exec(cmdline);
  if (cmdline.includes("kube-apiserver")) return `kube-apiserver ${member?.[1] ?? "?"}`;
  if (cmdline.includes("kube-controller-manager")) return "controller-managers";
  if (/(^|\/)etcd\0/.test(cmdline)) return "etcd";
  if (cmdline.includes("kafka.Kafka")) return "kafka";
  if (cmdline.includes("services/ingest")) return "ingest";
  if (cmdline.includes("services/propagator")) return "propagator";
  return undefined;
}

/** CPU seconds so far by component (processes that exited meanwhile are not counted). */
export function cpuSnapshot(): Map<string, number> {
  const out = new Map<string, number>([["benchmark", process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6]]);
  // Only this benchmark's own processes: another environment running on the machine has components of the same
  // names.
  const stats = new Map<number, { ppid: number; secs: number }>();
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      stats.set(Number(pid), { ppid: Number(f[1]), secs: (Number(f[11]) + Number(f[12])) / TICKS }); // utime, stime
    } catch {
      // gone meanwhile
    }
  }
  const ours = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; hops++) {
      if (p === process.pid) return true;
      p = stats.get(p)?.ppid ?? 0;
    }
    return false;
  };
  for (const [pid, { secs }] of stats) {
    if (pid === process.pid || !ours(pid)) continue;
    try {
      const name = component(readFileSync(`/proc/${pid}/cmdline`, "latin1"));
      if (name) out.set(name, (out.get(name) ?? 0) + secs);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** "kube-apiservers 4.1 s, etcd 1.2 s, ..." for the CPU spent between two snapshots. */
export function cpuSince(before: Map<string, number>): string {
  const now = cpuSnapshot();
  return [...now]
    .map(([k, v]) => [k, v - (before.get(k) ?? 0)] as const)
    .filter(([, v]) => v >= 0.05)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
    .join(", ");
}

/**
 * Splits the machine in two, as a real deployment is split between machines: the member clusters (their
 * kube-apiservers, controller managers and etcd) on CPU 0, the federation (Kafka, ingest, propagator) and the
 * benchmark's own client on CPU 1. Both the direct baseline and the federation then give the members the same
 * capacity, and a ratio says whether the federation keeps up with what the members can take, instead of how much
 * CPU it takes away from them on a shared two-core box.
 */
export function pinComponents(): string {
  const pinned: string[] = [];
  const pin = (pid: string | number, cpu: number) =>
    execFileSync("taskset", ["-a", "-p", "-c", String(cpu), String(pid)], { stdio: "ignore" });
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    let name: string | undefined;
    try {
      name = component(readFileSync(`/proc/${pid}/cmdline`, "latin1"));
    } catch {
      continue;
    }
    if (!name) continue;
    const cpu = name.startsWith("kube-") || name === "etcd" || name === "controller-managers" ? 0 : 1;
    pin(pid, cpu);
    pinned.push(`${name}→${cpu}`);
  }
  pin(process.pid, 1);
  return pinned.join(", ");
}

/**
 * Waits until the federation's processes (Kafka, ingest, propagator) are idle: less than `idle` of a CPU over a
 * second, or `maxMs` passed. A phase measured while the previous one's status reports are still being folded
 * would be charged for them.
 */
export async function quiesce(idle = 0.1, maxMs = 120_000): Promise<number> {
  const started = performance.now();
  const busy = (s: Map<string, number>) => (s.get("kafka") ?? 0) + (s.get("ingest") ?? 0) + (s.get("propagator") ?? 0);
  let before = busy(cpuSnapshot());
  while (performance.now() - started < maxMs) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = busy(cpuSnapshot());
    if (now - before < idle) break;
    before = now;
  }
  return performance.now() - started;
}
