import { mkdirSync, writeFileSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import {
  startCoredns,
  startEtcd,
  startKafka,
  startMember,
  startOpa,
  type CorednsInfo,
  type EtcdInfo,
  type KafkaInfo,
  type MemberInfo,
  type OpaInfo,
  type Started,
} from "./components.ts";
import { startControllerManager, startScheduler } from "./controlplane.ts";
import { defaultTopology, startKwok, type MemberTopology } from "./kwok.ts";
import { startLoadBalancer, type LoadBalancerInfo } from "./loadbalancer.ts";
import { LocalEnvError } from "./errors.ts";
import type { AuthoritativeDnsInfo } from "./authdns.ts";
import { startBind } from "./bind.ts";
import { startKnot } from "./knot.ts";
import { installAll, isInstalled, type Progress } from "./install.ts";
import { Pki } from "./pki.ts";
import { installExitHandlers, reapStaleRuns, type Managed } from "./process.ts";
import { assertPortFree, freePort } from "./ready.ts";
import { binaryPaths, cacheRoot } from "./versions.ts";

export interface EnvironmentOptions {
  /** Member cluster names; default two: member1, member2. */
  members?: string[];
  /** Start CoreDNS and OPA too (tests of DNS and policy need them; `up` may skip them). */
  coredns?: boolean;
  opa?: boolean;
  /** BIND 9 and Knot, each serving the DNS zone as a dynamic zone with a TSIG key (RFC 2136 tests). */
  bind?: boolean;
  knot?: boolean;
  /** Zone CoreDNS serves from etcd (and BIND 9 and Knot serve as a dynamic zone), with the trailing dot. */
  dnsZone?: string;
  /** Fixed ports from this base (checked free); by default the OS picks free ports. */
  basePort?: number;
  /** Where run directories go; default <cache>/runs. */
  runsRoot?: string;
  readyTimeoutMs?: number;
  progress?: Progress;
  /** Install missing components first (default true). */
  install?: boolean;
  /** Run Kafka's JVM with its optimising compiler: slower to start, cheaper under sustained load (benchmarks). */
  kafkaFullJit?: boolean;
  /**
   * "sasl_ssl": Kafka's listener takes TLS and SCRAM-SHA-512 only, with ACLs per federation (kafkasecurity.ts);
   * the federation's services connect as their own principals. Default "plaintext" (cheaper: what tests use).
   */
  kafkaSecurity?: "plaintext" | "sasl_ssl";
  /** Serve /debug/pprof on the member kube-apiservers (benchmarks that profile them). */
  apiserverProfiling?: boolean;
  /** kwok nodes per member cluster (default 3). */
  nodes?: number;
  /** Region and zones of a member's nodes, by member name; default region r<i>, zone r<i>-a (defaultTopology). */
  topology?: Record<string, MemberTopology>;
  /** Give members' LoadBalancer Services a loopback address (default true); off, tests set ingress by hand. */
  loadBalancer?: boolean;
  /**
   * Run workloads in the members (default true): a kube-controller-manager, a kube-scheduler and kwok nodes per
   * member, and the load balancer. Off, members are bare kube-apiservers: for benchmarks of the API path, where
   * those processes only add CPU noise on a small machine.
   */
  workloads?: boolean;
}

/** What runs workloads in one member: its nodes and where they are. */
export interface MemberWorkloads {
  member: string;
  nodes: string[];
  topology: MemberTopology;
}

/** Everything a client needs to reach the running environment; plain data, so tests can receive it. */
export interface EnvironmentInfo {
  runDir: string;
  kubeconfig: string;
  kubectl: string;
  kafka: KafkaInfo;
  etcd: EtcdInfo;
  members: MemberInfo[];
  /** Per member: the kwok nodes its kube-scheduler binds pods to. */
  workloads: MemberWorkloads[];
  /** Absent when the loopback load balancer is off. */
  loadBalancer?: LoadBalancerInfo;
  coredns?: CorednsInfo;
  opa?: OpaInfo;
  bind?: AuthoritativeDnsInfo;
  knot?: AuthoritativeDnsInfo;
  /** Per component: startup time and pid, for reporting. */
  components: { name: string; pid: number; startupMs: number; logFile: string }[];
}

export interface Environment {
  info: EnvironmentInfo;
  stop(): Promise<void>;
  /** Stops one member's kube-apiserver (an outage); its etcd data stays. */
  stopMember(name: string): Promise<void>;
  /** Starts a stopped member's kube-apiserver again, on the same port with the same identity and data. */
  startMember(name: string): Promise<void>;
}

const say: Progress = (line) => process.stderr.write(`[localenv] ${line}\n`);

/** Writes one kubeconfig with a context per member cluster (context name = cluster name). */
export function writeKubeconfig(path: string, members: MemberInfo[], current?: string): void {
  const doc = {
    apiVersion: "v1",
    kind: "Config",
    preferences: {},
    clusters: members.map((m) => ({ name: m.name, cluster: { server: m.server, "certificate-authority": m.caFile } })),
    users: members.map((m) => ({
      name: `admin@${m.name}`,
      user: { "client-certificate": m.clientCert, "client-key": m.clientKey },
    })),
    contexts: members.map((m) => ({ name: m.name, context: { cluster: m.name, user: `admin@${m.name}` } })),
    "current-context": current ?? members[0]?.name ?? "",
  };
  writeFileSync(path, stringify(doc), { mode: 0o600 });
}

/**
 * Starts the local environment: Kafka (KRaft), one etcd shared by N kube-apiservers (one per member
 * cluster, each under its own --etcd-prefix) each with a kube-controller-manager, a kube-scheduler and kwok
 * nodes, the loopback load balancer, and optionally CoreDNS (etcd plugin) and OPA.
 * Every process is stopped by `stop()`, on SIGINT/SIGTERM, and when this process exits.
 */
export async function startEnvironment(opts: EnvironmentOptions = {}): Promise<Environment> {
  const progress = opts.progress ?? say;
  const members = opts.members ?? ["member1", "member2"];
  const timeout = opts.readyTimeoutMs ?? 180_000;
  if (opts.install !== false && !isInstalled()) await installAll(progress);
  const bin = binaryPaths();

  const runsRoot = opts.runsRoot ?? join(cacheRoot(), "runs");
  mkdirSync(runsRoot, { recursive: true });
  for (const r of reapStaleRuns(runsRoot)) progress(`stopped ${r} left over from an earlier run`);
  const runDir = mkdtempSync(join(runsRoot, `${new Date().toISOString().replace(/[:.]/g, "-")}-`));
  writeFileSync(join(runDir, "owner"), `${process.pid}\n`);

  const procs: Managed[] = [];
  const stop = async () => {
    // Reverse order: members and DNS before the etcd they read.
    for (const p of procs.reverse()) await p.stop().catch(() => undefined);
    procs.length = 0;
  };
  installExitHandlers(async (signal) => {
    progress(`${signal}: stopping the local environment`);
    await stop();
  });

  const port = async (offset: number, component: string) => {
    if (opts.basePort === undefined) return freePort();
    const p = opts.basePort + offset;
    await assertPortFree(component, p);
    return p;
  };

  const components: EnvironmentInfo["components"] = [];
  const track = <T>(s: Started<T>): T => {
    procs.push(s.proc);
    components.push({ name: s.proc.name, pid: s.proc.pid, startupMs: s.startupMs, logFile: s.proc.logFile });
    progress(`${s.proc.name} ready in ${(s.startupMs / 1000).toFixed(1)}s (pid ${s.proc.pid})`);
    return s.info;
  };

  const pending: Promise<unknown>[] = [];
  try {
    const pki = new Pki(join(runDir, "pki"));
    const [kafkaPort, kafkaCtl, etcdPort, etcdPeer] = [
      await port(0, "kafka"),
      await port(1, "kafka controller"),
      await port(2, "etcd"),
      await port(3, "etcd peer"),
    ];
    progress(
      `starting kafka, etcd${opts.opa ? ", opa" : ""}${opts.coredns ? ", coredns" : ""} and ${members.length} member clusters in ${runDir}`,
    );
    const kafkaP = startKafka(bin, runDir, kafkaPort, kafkaCtl, timeout, {
      fullJit: opts.kafkaFullJit,
      ...(opts.kafkaSecurity === "sasl_ssl" ? { secure: { pki } } : {}),
    }).then(track);
    const etcd = track(await startEtcd(bin, runDir, etcdPort, etcdPeer, timeout));
    const opaP = opts.opa
      ? port(4, "opa")
          .then((p) => startOpa(bin, runDir, p, timeout))
          .then(track)
      : Promise.resolve(undefined);
    const dnsP = opts.coredns
      ? Promise.all([port(5, "coredns"), port(6, "coredns health")])
          .then(([p, h]) => startCoredns(bin, runDir, p, h, etcd.endpoint, opts.dnsZone ?? "kubefed.test.", timeout))
          .then(track)
      : Promise.resolve(undefined);
    const zone = opts.dnsZone ?? "kubefed.test.";
    const bindP = opts.bind
      ? port(7, "bind9")
          .then((p) => startBind(bin, runDir, p, zone, timeout))
          .then(track)
      : Promise.resolve(undefined);
    const knotP = opts.knot
      ? port(8, "knot")
          .then((p) => startKnot(bin, runDir, p, zone, timeout))
          .then(track)
      : Promise.resolve(undefined);
    // Awaited below; until then a failure must not count as an unhandled rejection.
    for (const p of [bindP, knotP]) p.catch(() => undefined);
    // Members start one after another: on 2 cores, parallel apiserver start-ups only slow each other down.
    pending.push(kafkaP, opaP, dnsP, bindP, knotP);
    const memberInfos: MemberInfo[] = [];
    const memberParts: Promise<unknown>[] = [];
    const workloads: Promise<MemberWorkloads>[] = [];
    for (const [i, name] of members.entries()) {
      const member = track(
        await startMember(
          bin,
          runDir,
          pki,
          name,
          await port(10 + i, `kube-apiserver-${name}`),
          etcd.endpoint,
          timeout,
          { profiling: opts.apiserverProfiling },
        ),
      );
      memberInfos.push(member);
      if (opts.workloads === false) continue;
      // What makes the member run workloads is light next to an apiserver: it comes up while the next member's
      // apiserver starts. The controller manager also keeps namespaces from staying Terminating.
      const kcmP = port(20 + i, `kube-controller-manager-${name}`)
        .then((p) => startControllerManager(bin, runDir, pki, member, p, timeout))
        .then(track);
      const schedP = port(30 + i, `kube-scheduler-${name}`)
        .then((p) => startScheduler(bin, runDir, pki, member, p, timeout))
        .then(track);
      const kwokP = startKwok(
        bin,
        runDir,
        pki,
        member,
        i,
        { nodes: opts.nodes ?? 3, topology: opts.topology?.[name] ?? defaultTopology(i) },
        timeout,
      ).then(track);
      const parts = [kcmP, schedP, kwokP];
      // Awaited below; until then a failure must not count as an unhandled rejection.
      for (const p of parts) p.catch(() => undefined);
      pending.push(...parts);
      memberParts.push(...parts);
      workloads.push(kwokP.then((k) => ({ member: k.member, nodes: k.nodes, topology: k.topology })));
    }
    const lbP =
      opts.loadBalancer === false || opts.workloads === false
        ? Promise.resolve(undefined)
        : port(40, "loadbalancer")
            .then((p) => startLoadBalancer(runDir, memberInfos, p, timeout))
            .then(track);
    pending.push(lbP);
    const [kafka, opa, coredns, loadBalancer, memberWorkloads, , bind, knot] = await Promise.all([
      kafkaP,
      opaP,
      dnsP,
      lbP,
      Promise.all(workloads),
      Promise.all(memberParts),
      bindP,
      knotP,
    ]);
    const kubeconfig = join(runDir, "kubeconfig");
    writeKubeconfig(kubeconfig, memberInfos);
    const info: EnvironmentInfo = {
      runDir,
      kubeconfig,
      kubectl: bin.kubectl,
      kafka,
      etcd,
      members: memberInfos,
      workloads: memberWorkloads,
      components,
      ...(loadBalancer ? { loadBalancer } : {}),
      ...(opa ? { opa } : {}),
      ...(coredns ? { coredns } : {}),
      ...(bind ? { bind } : {}),
      ...(knot ? { knot } : {}),
    };
    writeFileSync(join(runDir, "env.json"), JSON.stringify(info, null, 2));
    const apiserver = (name: string) => {
      const member = memberInfos.find((m) => m.name === name);
      if (!member)
        throw new LocalEnvError(
          "localenv",
          `there is no member cluster "${name}"`,
          `use one of ${memberInfos.map((m) => m.name).join(", ")}`,
        );
      return { member, index: procs.findIndex((p) => p.name === `kube-apiserver-${name}`) };
    };
    const stopMember = async (name: string) => {
      const { index } = apiserver(name);
      if (index >= 0) await procs[index]!.stop();
    };
    const startMemberAgain = async (name: string) => {
      const { member, index } = apiserver(name);
      if (index >= 0 && procs[index]!.running) return;
      const started = await startMember(bin, runDir, pki, name, member.port, etcd.endpoint, timeout, {
        profiling: opts.apiserverProfiling,
      });
      if (index >= 0) procs[index] = started.proc;
      else procs.push(started.proc);
      progress(`${started.proc.name} restarted in ${(started.startupMs / 1000).toFixed(1)}s (pid ${started.proc.pid})`);
    };
    return { info, stop, stopMember, startMember: startMemberAgain };
  } catch (err) {
    // Let components still starting finish (or fail) so that none is left running after stop().
    await Promise.allSettled(pending);
    await stop();
    throw err instanceof LocalEnvError
      ? err
      : new LocalEnvError(
          "localenv",
          err instanceof Error ? err.message : String(err),
          `see the logs in ${runDir}/logs`,
        );
  }
}
