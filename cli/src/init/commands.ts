// The `init` and `delete` commands' flags and help. Kept out of program.ts so that file only gains one call.
import { Command, InvalidArgumentError, Option } from "commander";
import { HOST_NAMESPACE, hostedNames } from "@kubefed/names";
import { EXIT_CODES_HELP, outputOption, type OutputFormat } from "../output.ts";
import type { DeleteOptions } from "./delete.ts";
import { DEFAULT_IMAGE, DEFAULT_KAFKA_IMAGE, INIT_DNS_PROVIDERS, SERVICE_TYPES, type InitOptions } from "./options.ts";

/** The original's booleans take `--flag`, `--flag=true` and `--flag=false`. */
export function parseBool(value: string): boolean {
  if (value === "true") return true;
  if (value === "false") return false;
  throw new InvalidArgumentError("must be true or false");
}

function parseSeconds(value: string): number {
  const m = /^(\d+)(s|m)?$/.exec(value);
  if (!m) throw new InvalidArgumentError("must be a duration such as 300, 90s or 5m");
  return Number(m[1]) * (m[2] === "m" ? 60 : 1);
}

const bool = (flags: string, description: string, defaultValue: boolean) =>
  new Option(`${flags} [bool]`, description).argParser(parseBool).default(defaultValue).preset("true");

const claim = hostedNames("NAME").kafkaClaim;

export function addHostingCommands(p: Command): void {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  p.command("init")
    .description(
      `Deploy a federation control plane into a host cluster (namespace ${HOST_NAMESPACE}) and write kubeconfig context NAME`,
    )
    .argument("<NAME>", "name of the federation: its topics, its objects in the host and the kubeconfig context")
    .requiredOption("--host-cluster-context <context>", "kubeconfig context of the cluster to deploy into")
    .option(
      "--kubeconfig <path>",
      "kubeconfig file to read the host from and write NAME to (default: $KUBECONFIG or ~/.kube/config)",
    )
    .addOption(
      new Option(
        "--dns-provider <provider>",
        `DNS provider of dns-sync: ${INIT_DNS_PROVIDERS.join(" or ")} (none: no dns-sync)`,
      ),
    )
    .option("--dns-zone-name <zone>", "the federation's DNS zone, ending with '.', e.g. example.com.")
    .option(
      "--dns-provider-config <file>",
      "the provider's config file ([Global] section), given to dns-sync as a Secret",
    )
    .addOption(
      bool(
        "--apiserver-enable-basic-auth",
        "basic auth: a password for the admin, Secret NAME-apiserver-basic-auth",
        false,
      ),
    )
    .addOption(
      bool(
        "--apiserver-enable-token-auth",
        "token auth: a bearer token for the admin, Secret NAME-apiserver-token-auth",
        true,
      ),
    )
    .option("--apiserver-arg-overrides <list>", 'options of the federation API, e.g. "--anonymous-auth=false,--v=4"')
    .addOption(
      new Option("--api-server-service-type <type>", "how the federation API is exposed")
        .choices([...SERVICE_TYPES])
        .default("LoadBalancer"),
    )
    .option("--api-server-advertise-address <ip>", "with NodePort: the address clients use (default: a node's address)")
    .option("--kafka-brokers <host:port,...>", "use this Kafka instead of deploying one")
    .addOption(
      bool("--kafka-persistent-storage", `keep the embedded Kafka's data on claim ${claim} (false: an emptyDir)`, true),
    )
    .option("--kafka-pv-capacity <quantity>", "size of the Kafka claim", "10Gi")
    .option(
      "--kafka-pv-storage-class <class>",
      "storage class of the Kafka claim (default: the cluster's default class)",
    )
    .option(
      "--image <image>",
      "image of the federation's services (the repository's Dockerfile builds it)",
      DEFAULT_IMAGE,
    )
    .option("--kafka-image <image>", "image of the embedded Kafka", DEFAULT_KAFKA_IMAGE)
    .addOption(bool("--dry-run", "print the manifests instead of creating them", false))
    .addOption(outputOption(["yaml", "json"]).default(undefined))
    .addOption(bool("--wait", "wait until the pods are ready and the API answers /readyz", true))
    .addOption(
      new Option(
        "--skip-api-readyz",
        "wait for the pods only, not the API (hosts whose nodes run no containers)",
      ).default(false),
    )
    .option("--timeout <duration>", "longest wait for the load balancer's address and for readiness", parseSeconds, 300)
    .addHelpText(
      "after",
      `
It creates in ${HOST_NAMESPACE}: a CA and the API's serving certificate, the admin's token and/or password (only
the modes enabled), the Secret keyring, the federation API (Deployment and Service NAME-apiserver, LoadBalancer or
NodePort), the propagator and, with --dns-provider, dns-sync; unless --kafka-brokers is given, Kafka (StatefulSet
NAME-kafka) on claim ${claim}. A PersistentVolume whose claimRef names that claim is bound to it
(checked first: capacity, ReadWriteOnce, Available). Then context NAME, with the admin's credentials, is written to
the kubeconfig. Progress goes to stderr; --dry-run prints the manifests to stdout.

Examples:
  kubefed init fellowship --host-cluster-context=rivendell --dns-provider=coredns \\
      --dns-zone-name="example.com." --dns-provider-config=coredns-provider.conf \\
      --apiserver-enable-basic-auth=true --apiserver-enable-token-auth=true \\
      --apiserver-arg-overrides="--anonymous-auth=false,--v=4"
  kubefed init fed --host-cluster-context=metal --api-server-service-type=NodePort \\
      --api-server-advertise-address=10.0.0.5 --kafka-pv-storage-class=local
  kubefed init fed --host-cluster-context=prod --kafka-brokers=kafka-0.kafka:9092 --dry-run | kubectl apply --dry-run=server -f -
  kubefed init fed --host-cluster-context=prod --dry-run -o json     # one v1 List
${EXIT_CODES_HELP}`,
    )
    .action(async (name: string, o: Omit<InitOptions, "name"> & { skipApiReadyz: boolean; output?: OutputFormat }) => {
      const { init } = await import("./init.ts");
      await init({ name, ...o }, { say, print: (t) => process.stdout.write(t), env: process.env });
    });

  p.command("delete")
    .description("Remove a federation control plane that kubefed init deployed, and its kubeconfig context")
    .argument("<NAME>", "name of the federation")
    .requiredOption("--host-cluster-context <context>", "kubeconfig context of the host cluster")
    .option("--kubeconfig <path>", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    .addOption(bool("--delete-data", `also delete claim ${claim}, the federation's whole log`, false))
    .option("--timeout <duration>", "longest wait for the objects and pods to go", parseSeconds, 120)
    .addHelpText(
      "after",
      `
Deletes every object labelled federation.kubernetes.io/control-plane=NAME in ${HOST_NAMESPACE}, waits until they and
their pods are gone, removes context NAME from the kubeconfig, and the namespace when init created it and no
federation is left in it. The Kafka claim stays unless --delete-data is given (the command says so); its volume then
follows its reclaim policy.

Examples:
  kubefed delete fellowship --host-cluster-context=rivendell
  kubefed delete fellowship --host-cluster-context=rivendell --delete-data
${EXIT_CODES_HELP}`,
    )
    .action(async (name: string, o: Omit<DeleteOptions, "name">) => {
      const { deleteFederation } = await import("./delete.ts");
      await deleteFederation({ name, ...o }, { say, env: process.env });
    });
}
