import { Command, InvalidArgumentError, Option } from "commander";
import type { JoinOptions } from "./join.ts";
import { addHostingCommands } from "./init/commands.ts";
import { EXIT_CODES_HELP } from "./output.ts";
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
    // Inherited by every command: a usage error reaches main as a CommanderError (exit code 2, output.ts).
    .exitOverride()
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
    .option("--with-dns", "also start CoreDNS (etcd plugin) and dns-sync", false)
    .option("--with-opa", "also start Open Policy Agent, and policy placement (SchedulingPolicy) against it", false)
    .option("--nodes <n>", "kwok nodes per member cluster (1-250)", parseNodes, 3)
    .addOption(
      new Option(
        "--kafka-security <protocol>",
        "plaintext, or sasl_ssl: Kafka takes TLS and SCRAM-SHA-512 only, with ACLs (only the ingest writes desired state)",
      )
        .choices(["plaintext", "sasl_ssl"])
        .default("plaintext"),
    )
    .addHelpText(
      "after",
      `
Examples:
  kubefed up                              # two members, free ports
  kubefed up --members 3 --with-dns       # three members and CoreDNS
  kubefed up --members us-east,eu-west --kubeconfig ~/.kube/kubefed-local
  kubefed up --kafka-security sasl_ssl    # Kafka as an authenticated boundary`,
    )
    .action(
      async (o: {
        members: string[];
        basePort?: number;
        kubeconfig: string;
        withDns: boolean;
        withOpa: boolean;
        nodes: number;
        kafkaSecurity: "plaintext" | "sasl_ssl";
      }) => {
        const { up } = await import("./up.ts");
        await up({
          members: o.members,
          basePort: o.basePort,
          kubeconfig: o.kubeconfig,
          coredns: o.withDns,
          opa: o.withOpa,
          nodes: o.nodes,
          kafkaSecurity: o.kafkaSecurity,
        });
      },
    );
  const output =
    (...formats: string[]) =>
    (v: string) => {
      if (!formats.includes(v)) throw new InvalidArgumentError(`must be ${formats.join(", ")}`);
      return v;
    };
  const connection = (c: Command) =>
    c
      .option("--context <name>", "kubeconfig context of the federation API")
      .option("--kubeconfig <path>", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)");
  connection(
    p
      .command("history")
      .description(
        "Who changed what, when, from the event log: every revision of one object, or changes across objects by actor and time",
      )
      .argument("[TYPE/NAME]", "the object, e.g. deployment/web or configmap/settings")
      .option("-n, --namespace <ns>", "namespace (default: the context's, else default)")
      .option("-A, --all-namespaces", "changes in every namespace (without TYPE/NAME)", false)
      .option("--actor <user>", "only changes made by this user")
      .option("--since <time>", "only changes at or after this RFC 3339 time")
      .option("--until <time>", "only changes before this RFC 3339 time")
      .option("--kind <type>", "only changes of this resource type"),
  )
    .option("-o, --output <format>", "table or json", output("table", "json"), "table")
    .addHelpText(
      "after",
      `
Examples:
  kubefed history deployment/web -n shop --context federation
  kubefed history configmap/settings -o json
  kubefed history --actor alice --since 2026-01-01T00:00:00Z --until 2026-01-02T00:00:00Z -A --kind deployments`,
    )
    .action(async (target: string | undefined, o: Omit<import("./history.ts").HistoryOptions, "target">) => {
      const { history } = await import("./history.ts");
      process.stdout.write(`${await history({ ...o, ...(target !== undefined ? { target } : {}) })}\n`);
    });
  connection(
    p
      .command("get")
      .description("Read an object or a list as it was at a moment, from the event log")
      .argument("<TYPE[/NAME]>", "a resource type, or one object (e.g. configmaps, deployment/web)")
      .requiredOption("--at <time|resourceVersion>", "an RFC 3339 time or a resourceVersion")
      .option("-n, --namespace <ns>", "namespace (default: the context's, else default)")
      .option("-A, --all-namespaces", "a list across every namespace", false),
  )
    .option("-o, --output <format>", "table, json, yaml or name", output("table", "json", "yaml", "name"), "table")
    .addHelpText(
      "after",
      `
Examples:
  kubefed get configmap/settings --at 2026-01-01T10:00:00Z -o yaml
  kubefed get deployments -n shop --at 1234`,
    )
    .action(async (target: string, o: Omit<import("./getat.ts").GetAtOptions, "target">) => {
      const { getAt } = await import("./getat.ts");
      process.stdout.write(`${await getAt({ target, ...o })}\n`);
    });
  connection(
    p
      .command("restore")
      .description(
        "Put an earlier revision of an object back (a new, audited write; a deleted object is created again)",
      )
      .argument("<TYPE/NAME>", "the object, e.g. deployment/web")
      .requiredOption("--to-revision <resourceVersion>", "the revision to restore (see kubefed history)")
      .option("-n, --namespace <ns>", "namespace of the object (default: the context's, else default)")
      .option("--dry-run", "show what would change and write nothing", false)
      .option(
        "--resource-version <rv>",
        "refuse unless the object is still at this resourceVersion (default: the one the federation holds)",
      ),
  )
    .addHelpText(
      "after",
      `
Examples:
  kubefed restore deployment/web -n shop --to-revision 1234 --dry-run
  kubefed restore configmap/settings --to-revision 77`,
    )
    .action(async (target: string, o: Omit<import("./restore.ts").RestoreOptions, "target">) => {
      const { restore } = await import("./restore.ts");
      process.stdout.write(`${await restore({ target, ...o })}\n`);
    });
  connection(
    p
      .command("replay")
      .description("Print the ordered changes of a time window, for incident review")
      .requiredOption("--from <time>", "start of the window (RFC 3339, included)")
      .requiredOption("--to <time>", "end of the window (RFC 3339, excluded)")
      .option("-n, --namespace <ns>", "only this namespace (default: every namespace)"),
  )
    .option("-o, --output <format>", "table or json", output("table", "json"), "table")
    .addHelpText(
      "after",
      `
Examples:
  kubefed replay --from 2026-01-01T10:00:00Z --to 2026-01-01T11:00:00Z -n shop
  kubefed replay --from 2026-01-01T10:00:00Z --to 2026-01-01T10:05:00Z -o json | jq .`,
    )
    .action(async (o: import("./history.ts").ReplayOptions) => {
      const { replay } = await import("./history.ts");
      process.stdout.write(`${await replay(o)}\n`);
    });
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
  p.command("dns")
    .description("DNS of the federation's Services")
    .command("resolver-config")
    .description(
      "Print the CoreDNS server block for a member's cluster DNS that resolves the short names <service>.<namespace>.<federation>. to the member's nearest healthy level",
    )
    .argument("<MEMBER>", "name of the member's Cluster in the federation")
    .option("--host-cluster-context <context>", "kubeconfig context of the federation API", "federation")
    .option("--kubeconfig <path>", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    .option("--federation-name <name>", federationName, "federation")
    .requiredOption("--dns-zone-name <zone>", "the federation's DNS zone, with the trailing dot (as dns-sync's)")
    .requiredOption("--dns-server <host:port>", "the DNS server that serves the zone (e.g. the federation's CoreDNS)")
    .option("--listen <[address]:port>", "port of the server block", ":53")
    .addHelpText(
      "after",
      `
Example:
  kubefed dns resolver-config eu-west --dns-zone-name example.com. --dns-server 10.0.0.53:53 --federation-name myfed
  # add the output to the member's Corefile (ConfigMap kube-system/coredns)`,
    )
    .action(
      async (
        name: string,
        o: {
          hostClusterContext: string;
          kubeconfig?: string;
          federationName: string;
          dnsZoneName: string;
          dnsServer: string;
          listen: string;
        },
      ) => {
        const { resolverConfig } = await import("./dns.ts");
        process.stdout.write(await resolverConfig({ name, ...o }));
      },
    );
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
  addHostingCommands(p);
  p.addHelpText("after", EXIT_CODES_HELP);
  return p;
}
