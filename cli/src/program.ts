import { Command, InvalidArgumentError } from "commander";
import type { JoinOptions } from "./join.ts";
// Each command loads its module when it runs: `--help` and one command do not pay for all of them.

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function parseMembers(value: string): string[] {
  const n = Number(value);
  const names = /^\d+$/.test(value)
    ? Array.from({ length: n }, (_, i) => `member${i + 1}`)
    : value.split(",").map((s) => s.trim());
  if (names.length < 1 || names.length > 8)
    throw new InvalidArgumentError("give 1 to 8 member clusters (a count or a comma-separated list of names)");
  const bad = names.find((s) => !DNS_LABEL.test(s) || s.length > 63);
  if (bad !== undefined)
    throw new InvalidArgumentError(
      `"${bad}" is not a valid cluster name (lower-case letters, digits and '-', at most 63)`,
    );
  if (new Set(names).size !== names.length) throw new InvalidArgumentError("member cluster names must be distinct");
  return names;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1024 || n > 65000)
    throw new InvalidArgumentError("must be an integer between 1024 and 65000");
  return n;
}

function parseNodes(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 250) throw new InvalidArgumentError("must be an integer between 1 and 250");
  return n;
}

export function program(): Command {
  const p = new Command("kubefed")
    .description("Kubernetes cluster federation on an event log: keep many clusters in step from one API")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ outputError: (str, write) => write(str.split("\n")[0] + "\n") });

  p.command("up")
    .description(
      "Run a local federation on this machine: Kafka, etcd, member clusters, the federation API and a propagator, members joined",
    )
    .option("--members <n|names>", "member clusters: a count or comma-separated names", parseMembers, [
      "member1",
      "member2",
    ])
    .option("--base-port <port>", "use fixed ports from this base instead of free ones", parsePort)
    .option("--kubeconfig <path>", "where to write the kubeconfig with one context per cluster", ".run/kubeconfig")
    .option("--with-dns", "also start CoreDNS (etcd plugin)", false)
    .option("--with-opa", "also start Open Policy Agent", false)
    .option("--nodes <n>", "kwok nodes per member cluster (1-250)", parseNodes, 3)
    .addHelpText(
      "after",
      `
Examples:
  kubefed up                              # two members, free ports
  kubefed up --members 3 --with-dns       # three members and CoreDNS
  kubefed up --members us-east,eu-west --kubeconfig ~/.kube/kubefed-local`,
    )
    .action(
      async (o: {
        members: string[];
        basePort?: number;
        kubeconfig: string;
        withDns: boolean;
        withOpa: boolean;
        nodes: number;
      }) => {
        const { up } = await import("./up.ts");
        await up({
          members: o.members,
          basePort: o.basePort,
          kubeconfig: o.kubeconfig,
          coredns: o.withDns,
          opa: o.withOpa,
          nodes: o.nodes,
        });
      },
    );
  p.command("history")
    .description("List every revision of a federated object, from the event log: who changed what, when")
    .argument("<TYPE/NAME>", "the object, e.g. deployment/web or configmap/settings")
    .option("-n, --namespace <ns>", "namespace of the object (default: the context's, else default)")
    .option("--context <name>", "kubeconfig context of the federation API")
    .option("--kubeconfig <path>", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    .option(
      "-o, --output <format>",
      "table or json",
      (v: string) => {
        if (v !== "table" && v !== "json") throw new InvalidArgumentError("must be table or json");
        return v;
      },
      "table",
    )
    .addHelpText(
      "after",
      `
Examples:
  kubefed history deployment/web -n shop --context federation
  kubefed history configmap/settings -o json`,
    )
    .action(
      async (
        target: string,
        o: { namespace?: string; context?: string; kubeconfig?: string; output: "table" | "json" },
      ) => {
        const { history } = await import("./history.ts");
        process.stdout.write(`${await history({ target, ...o })}\n`);
      },
    );
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const federationName =
    "name of the federation (its control plane's KUBEFED_FEDERATION_NAME): it names the service account and role in the member and is the value of the ownership label; the federation API does not report it";
  p.command("join")
    .description(
      "Register a member cluster with a federation: a service account with rights to the federated types in the member, its token, and a Cluster in the federation",
    )
    .argument("<NAME>", "name of the Cluster in the federation (a DNS-1123 label)")
    .requiredOption("--host-cluster-context <context>", "kubeconfig context of the federation API")
    .requiredOption(
      "--cluster-context <context>",
      "kubeconfig context of the cluster to join (its user must be able to set up RBAC, e.g. cluster-admin)",
    )
    .option("--kubeconfig <path>", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    .option(
      "--region <region>",
      "region label of the Cluster, topology.kubernetes.io/region (default: the member's node labels, when all nodes agree)",
    )
    .option(
      "--zone <zone>",
      "zone label of the Cluster, topology.kubernetes.io/zone (default: from the nodes, like --region)",
    )
    .option("--labels <k=v,...>", "more labels of the Cluster, for placement by cluster-selector")
    .option("--federation-name <name>", federationName, "federation")
    .option(
      "--update",
      "re-join a joined cluster: a fresh token bound to the member context's current address, and the Cluster moved there (the only way a member's address changes)",
    )
    .addHelpText(
      "after",
      `
The member needs no agent: the federation acts in it as service account kubefed-system/kubefed-<federation>,
bound to ClusterRole kubefed:<federation> (the federated types, read-only nodes and endpointslices; not
cluster-admin). Its token, the member's CA and the address they were issued for go to Secret
kubefed-system/<NAME>-credentials of the federation; the propagator uses them for that address only.

Examples:
  kubefed join us-east --host-cluster-context=federation --cluster-context=gke-us-east
  kubefed join eu-west --host-cluster-context=federation --cluster-context=eu-west \\
      --region europe-west1 --zone europe-west1-b --labels env=prod,tier=gold --federation-name myfed`,
    )
    .action(async (name: string, o: Omit<JoinOptions, "name">) => {
      const { join } = await import("./join.ts");
      await join({ name, ...o }, say);
    });
  p.command("unjoin")
    .description(
      "Remove a member cluster from a federation (its Cluster and credentials Secret); with --cleanup also what the federation left in the member",
    )
    .argument("<NAME>", "name of the Cluster in the federation")
    .requiredOption("--host-cluster-context <context>", "kubeconfig context of the federation API")
    .option(
      "--cluster-context <context>",
      "kubeconfig context of the member, for --cleanup (default: the context whose server is the Cluster's address)",
    )
    .option(
      "--cleanup",
      "in the member, delete every federated object labelled federation.kubernetes.io/owned-by=<federation> (namespaces last), then the federation's service account, role and binding, and kubefed-system when nothing else is in it",
      false,
    )
    .option("--kubeconfig <path>", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    .option("--federation-name <name>", federationName, "federation")
    .addHelpText(
      "after",
      `
Examples:
  kubefed unjoin us-east --host-cluster-context=federation
  kubefed unjoin eu-west --host-cluster-context=federation --cleanup --federation-name myfed
  kubefed unjoin eu-west --host-cluster-context=federation --cleanup --cluster-context=eu-west-admin`,
    )
    .action(
      async (
        name: string,
        o: {
          hostClusterContext: string;
          clusterContext?: string;
          kubeconfig?: string;
          cleanup: boolean;
          federationName: string;
        },
      ) => {
        const { unjoin } = await import("./unjoin.ts");
        await unjoin({ name, ...o }, say);
      },
    );
  return p;
}
