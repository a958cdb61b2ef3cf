import { Command, InvalidArgumentError } from "commander";
import { up } from "./up.ts";
import { history } from "./history.ts";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function parseMembers(value: string): string[] {
  const n = Number(value);
  const names = /^\d+$/.test(value) ? Array.from({ length: n }, (_, i) => `member${i + 1}`) : value.split(",").map((s) => s.trim());
  if (names.length < 1 || names.length > 8) throw new InvalidArgumentError("give 1 to 8 member clusters (a count or a comma-separated list of names)");
  const bad = names.find((s) => !DNS_LABEL.test(s) || s.length > 63);
  if (bad !== undefined) throw new InvalidArgumentError(`"${bad}" is not a valid cluster name (lower-case letters, digits and '-', at most 63)`);
  if (new Set(names).size !== names.length) throw new InvalidArgumentError("member cluster names must be distinct");
  return names;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1024 || n > 65000) throw new InvalidArgumentError("must be an integer between 1024 and 65000");
  return n;
}

export function program(): Command {
  const p = new Command("kubefed")
    .description("Kubernetes cluster federation on an event log: keep many clusters in step from one API")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ outputError: (str, write) => write(str.split("\n")[0] + "\n") });

  p.command("up")
    .description("Run a local federation on this machine: Kafka, etcd and member kube-apiservers as processes")
    .option("--members <n|names>", "member clusters: a count or comma-separated names", parseMembers, ["member1", "member2"])
    .option("--base-port <port>", "use fixed ports from this base instead of free ones", parsePort)
    .option("--kubeconfig <path>", "where to write the kubeconfig with one context per cluster", ".run/kubeconfig")
    .option("--with-dns", "also start CoreDNS (etcd plugin)", false)
    .option("--with-opa", "also start Open Policy Agent", false)
    .addHelpText(
      "after",
      `
Examples:
  kubefed up                              # two members, free ports
  kubefed up --members 3 --with-dns       # three members and CoreDNS
  kubefed up --members us-east,eu-west --kubeconfig ~/.kube/kubefed-local`,
    )
    .action(async (o: { members: string[]; basePort?: number; kubeconfig: string; withDns: boolean; withOpa: boolean }) => {
      await up({ members: o.members, basePort: o.basePort, kubeconfig: o.kubeconfig, coredns: o.withDns, opa: o.withOpa });
    });
  p.command("history")
    .description("List every revision of a federated object, from the event log: who changed what, when")
    .argument("<TYPE/NAME>", "the object, e.g. deployment/web or configmap/settings")
    .option("-n, --namespace <ns>", "namespace of the object (default: the context's, else default)")
    .option("--context <name>", "kubeconfig context of the federation API")
    .option("--kubeconfig <path>", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    .option("-o, --output <format>", "table or json", (v: string) => {
      if (v !== "table" && v !== "json") throw new InvalidArgumentError("must be table or json");
      return v;
    }, "table")
    .addHelpText(
      "after",
      `
Examples:
  kubefed history deployment/web -n shop --context federation
  kubefed history configmap/settings -o json`,
    )
    .action(async (target: string, o: { namespace?: string; context?: string; kubeconfig?: string; output: "table" | "json" }) => {
      process.stdout.write(`${await history({ target, ...o })}\n`);
    });
  return p;
}

