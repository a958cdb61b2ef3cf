import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { startEnvironment, startFederation, startPropagator, type EnvironmentInfo, type Federation } from "@kubefed/localenv";
import { join } from "./join.ts";

export interface UpOptions {
  members: string[];
  basePort?: number;
  kubeconfig: string;
  coredns: boolean;
  opa: boolean;
}

/** How to use the running federation, printed once everything is ready. */
export function usage(info: EnvironmentInfo, fed: Pick<Federation, "url" | "name">, kubeconfig: string): string {
  const lines = [
    "",
    "Local federation is running.",
    `  federation API:   ${fed.url}   (context "federation", events in Kafka topic ${fed.name}.objects)`,
    `  Kafka bootstrap:  ${info.kafka.bootstrap}`,
    `  etcd:             ${info.etcd.endpoint}`,
    ...info.members.map((m) => `  member ${m.name.padEnd(10)} ${m.server}   (context "${m.name}")`),
    ...(info.coredns ? [`  CoreDNS:          127.0.0.1:${info.coredns.port} (zone ${info.coredns.zone})`] : []),
    ...(info.opa ? [`  OPA:              ${info.opa.url}`] : []),
    `  logs:             ${info.runDir}/logs`,
    "",
    "Use it:",
    `  export KUBECONFIG=${kubeconfig}`,
    "  kubectl --context=federation create namespace demo",
    "  kubectl --context=federation -n demo create configmap hello --from-literal=greeting=hi",
    "  kubectl --context=federation get clusters",
    ...info.members.map((m) => `  kubectl --context=${m.name} -n demo get configmap hello      # propagated`),
    "  kubefed history configmap/hello -n demo --context=federation",
    "",
    "Press Ctrl-C to stop everything.",
  ];
  return lines.join("\n");
}

export async function up(opts: UpOptions): Promise<void> {
  const env = await startEnvironment({ members: opts.members, basePort: opts.basePort, coredns: opts.coredns, opa: opts.opa });
  process.stderr.write("[localenv] starting the federation API (ingest)\n");
  const fed = await startFederation(env.info, "federation");
  for (const m of env.info.members) {
    process.stderr.write(`[localenv] joining ${m.name}\n`);
    await join({ name: m.name, hostClusterContext: "federation", clusterContext: m.name, kubeconfig: fed.kubeconfig, federationName: fed.name }, (line) => process.stderr.write(`[join] ${line}\n`));
  }
  process.stderr.write("[localenv] starting the propagator\n");
  await startPropagator(env.info, fed);
  const target = resolve(opts.kubeconfig);
  mkdirSync(dirname(target), { recursive: true });
  // The federation's kubeconfig has its own context and one per member.
  copyFileSync(fed.kubeconfig, target);
  process.stdout.write(`${usage(env.info, fed, target)}\n`);
  // Stay up until a signal; the environment's exit handlers stop every component.
  await new Promise<never>(() => undefined);
}
