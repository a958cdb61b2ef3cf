import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { startEnvironment, startFederation, type EnvironmentInfo, type Federation } from "@kubefed/localenv";

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
    "  kubefed history configmap/hello -n demo --context=federation",
    ...info.members.map((m) => `  kubectl --context=${m.name} get namespaces`),
    "",
    "Press Ctrl-C to stop everything.",
  ];
  return lines.join("\n");
}

export async function up(opts: UpOptions): Promise<void> {
  const env = await startEnvironment({ members: opts.members, basePort: opts.basePort, coredns: opts.coredns, opa: opts.opa });
  process.stderr.write("[localenv] starting the federation API (ingest)\n");
  const fed = await startFederation(env.info, "federation");
  const target = resolve(opts.kubeconfig);
  mkdirSync(dirname(target), { recursive: true });
  // The federation's kubeconfig has its own context and one per member.
  copyFileSync(fed.kubeconfig, target);
  process.stdout.write(`${usage(env.info, fed, target)}\n`);
  // Stay up until a signal; the environment's exit handlers stop every component.
  await new Promise<never>(() => undefined);
}
