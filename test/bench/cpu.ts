/**
 * CPU seconds spent by each component of the local environment between two snapshots (from /proc/<pid>/stat),
 * so a benchmark can say where its time went: member kube-apiservers, etcd, Kafka, the ingest, the propagator.
 */
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
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const name = component(readFileSync(`/proc/${pid}/cmdline`, "latin1"));
      if (!name) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const secs = (Number(f[11]) + Number(f[12])) / TICKS; // utime, stime
      out.set(name, (out.get(name) ?? 0) + secs);
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
