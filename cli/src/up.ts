import { copyFileSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join as joinPath, resolve } from "node:path";
import {
  binaryPaths,
  REPO_ROOT,
  startEnvironment,
  startFederation,
  startDnsSync,
  startPropagator,
  type DnsSync,
  type EnvironmentInfo,
  type Federation,
} from "@kubefed/localenv";
import { join } from "./join.ts";

export interface UpOptions {
  members: string[];
  basePort?: number;
  kubeconfig: string;
  coredns: boolean;
  opa: boolean;
  /** kwok nodes per member. */
  nodes: number;
  kafkaSecurity?: "plaintext" | "sasl_ssl";
}

/** How to use the running federation, printed once everything is ready. Its first line sets up the shell. */
export function usage(
  info: EnvironmentInfo,
  fed: Pick<Federation, "url" | "name">,
  kubeconfig: string,
  binDir: string,
  dns?: Pick<DnsSync, "url">,
): string {
  const first = info.members[0]?.name ?? "member1";
  const lines = [
    `export PATH=${binDir}:$PATH KUBECONFIG=${kubeconfig}`,
    "",
    "Local federation is running (run the line above in your shell first: it puts the pinned kubectl and kubefed on PATH).",
    `  federation API:   ${fed.url}   (context "federation": system:masters; "federation-viewer": read-only, bound to view; events in Kafka topic ${fed.name}.objects)`,
    `  Kafka bootstrap:  ${info.kafka.bootstrap}${info.kafka.security ? `   (SASL_SSL, SCRAM-SHA-512: CA ${info.kafka.security.caFile}, admin password in ${info.kafka.security.passwordFiles.admin})` : ""}`,
    `  etcd:             ${info.etcd.endpoint}`,
    ...info.members.map((m) => {
      const w = info.workloads.find((x) => x.member === m.name);
      const where = w ? `, ${w.nodes.length} kwok nodes in ${w.topology.region}/${w.topology.zones.join(",")}` : "";
      const lb = info.loadBalancer?.ranges[m.name];
      return `  member ${m.name.padEnd(10)} ${m.server}   (context "${m.name}"${where}${lb ? `, load balancers on ${lb}` : ""})`;
    }),
    ...(info.coredns ? [`  CoreDNS:          127.0.0.1:${info.coredns.port} (zone ${info.coredns.zone})`] : []),
    ...(info.opa ? [`  OPA:              ${info.opa.url}`] : []),
    `  logs:             ${info.runDir}/logs`,
    "",
    "Use it:",
    "  kubectl --context=federation get clusters",
    "  kubectl --context=federation create namespace demo",
    "  kubectl --context=federation -n demo create deployment web --image=nginx --replicas=3",
    "  kubectl --context=federation -n demo expose deployment web --port=80 --type=LoadBalancer",
    "  kubectl --context=federation -n demo rollout status deployment/web",
    "  kubectl --context=federation -n demo get deployment web          # ready replicas of every member added up",
    ...info.members.map(
      (m) => `  kubectl --context=${m.name} -n demo get pods -o wide        # running on ${m.name}'s kwok nodes`,
    ),
    `  kubectl --context=${first} -n demo get service web            # the member's load-balancer address`,
    "  kubectl --context=federation -n demo get service web -o jsonpath='{.status.loadBalancer.ingress[*].ip} {.status.readyEndpoints}{\"\\n\"}'",
    "  kubefed history deployment/web -n demo --context=federation",
    "  kubectl --context=federation-viewer auth can-i --list -n demo     # what the viewer identity may do (read, no Secrets)",
    ...(info.coredns && dns ? dnsUsage(info, fed.name, dns) : []),
    "",
    "Press Ctrl-C to stop everything.",
  ];
  return lines.join("\n");
}

/** The names dns-sync keeps for the walkthrough's Service `web` in `demo`, and how to ask CoreDNS for them. */
function dnsUsage(info: EnvironmentInfo, federation: string, dns: Pick<DnsSync, "url">): string[] {
  const { port, zone } = info.coredns!;
  const base = `web.demo.${federation}.svc`;
  const names = [`${base}.${zone}`];
  for (const w of info.workloads) {
    names.push(`${base}.${w.topology.region}.${zone}`);
    for (const z of w.topology.zones) names.push(`${base}.${z}.${w.topology.region}.${zone}`);
  }
  const first = info.members[0]?.name ?? "member1";
  return [
    "",
    `DNS (dns-sync ${dns.url}/metrics; zone ${zone} in CoreDNS 127.0.0.1:${port}):`,
    ...[...new Set(names)].map((n) => `  dig @127.0.0.1 -p ${port} +short ${n}`),
    `  kubefed dns resolver-config ${first} --dns-zone-name ${zone} --dns-server 127.0.0.1:${port} --federation-name ${federation}`,
  ];
}

/** A directory with the pinned kubectl and this kubefed, for PATH: the walkthrough's commands run as printed. */
function writeBinDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, target] of [
    ["kubectl", binaryPaths().kubectl],
    ["kubefed", joinPath(REPO_ROOT, "cli/bin/kubefed")],
  ] as const) {
    rmSync(joinPath(dir, name), { force: true });
    symlinkSync(target, joinPath(dir, name));
  }
}

export async function up(opts: UpOptions): Promise<void> {
  const env = await startEnvironment({
    members: opts.members,
    basePort: opts.basePort,
    coredns: opts.coredns,
    opa: opts.opa,
    nodes: opts.nodes,
    kafkaSecurity: opts.kafkaSecurity,
  });
  process.stderr.write("[localenv] starting the federation API (ingest)\n");
  // With OPA, the federation runs the SchedulingPolicy admission step against it (docs/placement.md).
  const admission = env.info.opa ? joinPath(env.info.runDir, "admission-control.json") : undefined;
  if (admission) writeFileSync(admission, JSON.stringify({ url: env.info.opa!.url, timeout: "2s" }));
  const fed = await startFederation(env.info, "federation", {
    ...(admission
      ? { args: ["--admission-control=SchedulingPolicy", `--admission-control-config-file=${admission}`] }
      : {}),
  });
  for (const m of env.info.members) {
    process.stderr.write(`[localenv] joining ${m.name}\n`);
    await join(
      {
        name: m.name,
        hostClusterContext: "federation",
        clusterContext: m.name,
        kubeconfig: fed.kubeconfig,
        federationName: fed.name,
      },
      (line) => process.stderr.write(`[join] ${line}\n`),
    );
  }
  process.stderr.write("[localenv] starting the propagator\n");
  await startPropagator(env.info, fed);
  let dns: DnsSync | undefined;
  if (opts.coredns) {
    process.stderr.write("[localenv] starting dns-sync\n");
    dns = await startDnsSync(env.info, fed);
  }
  const target = resolve(opts.kubeconfig);
  mkdirSync(dirname(target), { recursive: true });
  // The federation's kubeconfig has its own context and one per member.
  copyFileSync(fed.kubeconfig, target);
  const binDir = joinPath(dirname(target), "bin");
  writeBinDir(binDir);
  process.stdout.write(`${usage(env.info, fed, target, binDir, dns)}\n`);
  // Stay up until a signal; the environment's exit handlers stop every component.
  await new Promise<never>(() => undefined);
}
