import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { KafkaClient } from "@kubefed/kafka";
import { LocalEnvError } from "./errors.ts";
import { kafkaSecurityAs, secureKafkaFiles, type KafkaSecurityInfo } from "./kafkasecurity.ts";
import { startProcess, type Managed } from "./process.ts";
import { httpGet, waitReady } from "./ready.ts";
import type { Pki } from "./pki.ts";
import type { BinaryPaths } from "./versions.ts";

const execFileP = promisify(execFile);

export interface Started<T> {
  proc: Managed;
  info: T;
  /** Milliseconds from spawn to ready. */
  startupMs: number;
}

export interface KafkaInfo {
  bootstrap: string;
  port: number;
  controllerPort: number;
  /** Absent: a PLAINTEXT listener. */
  security?: KafkaSecurityInfo;
}

/** Apache Kafka in KRaft mode: one node that is both broker and controller. */
export async function startKafka(
  bin: BinaryPaths,
  runDir: string,
  port: number,
  controllerPort: number,
  timeoutMs: number,
  /** `secure`: a SASL_SSL listener, SCRAM principals and ACLs (kafkasecurity.ts), certificates from `secure.pki`. */
  opts: { fullJit?: boolean; secure?: { pki: Pki } } = {},
): Promise<Started<KafkaInfo>> {
  const dir = join(runDir, "kafka");
  mkdirSync(join(dir, "data"), { recursive: true });
  const props = join(dir, "server.properties");
  const secure = opts.secure ? secureKafkaFiles(opts.secure.pki, dir, port, controllerPort) : undefined;
  const listeners = secure?.properties ?? [
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    "controller.listener.names=CONTROLLER",
    "inter.broker.listener.name=PLAINTEXT",
    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
  ];
  writeFileSync(
    props,
    [
      "process.roles=broker,controller",
      "node.id=1",
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      ...listeners,
      `log.dirs=${join(dir, "data")}`,
      "num.partitions=1",
      "auto.create.topics.enable=false",
      "offsets.topic.replication.factor=1",
      "offsets.topic.num.partitions=4",
      "transaction.state.log.replication.factor=1",
      "transaction.state.log.min.isr=1",
      "group.initial.rebalance.delay.ms=0",
      "num.network.threads=2",
      "num.io.threads=2",
      "",
    ].join("\n"),
  );
  const log4j = join(dir, "log4j.properties");
  writeFileSync(
    log4j,
    [
      "log4j.rootLogger=INFO, stdout",
      "log4j.appender.stdout=org.apache.log4j.ConsoleAppender",
      "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout",
      "log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n",
      "log4j.logger.kafka=INFO",
      "log4j.logger.org.apache.kafka=WARN",
      "",
    ].join("\n"),
  );
  const cp = `${bin.kafkaLibs}/*`;
  // A modest heap: the machine is shared with several kube-apiservers. The quick compiler alone starts fastest
  // (tests start Kafka often); the optimising one costs CPU at start and less under sustained load (benchmarks).
  const jit = opts.fullJit ? [] : ["-XX:TieredStopAtLevel=1"];
  const jvm = [
    "-Xms128m",
    "-Xmx512m",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    ...jit,
    "-Djava.awt.headless=true",
    `-Dlog4j.configuration=file:${log4j}`,
  ];
  // A KRaft cluster id is 16 bytes in base64url; one starting with "-" would be read as an option by the tool.
  let clusterId = randomBytes(16).toString("base64url");
  while (clusterId.startsWith("-")) clusterId = randomBytes(16).toString("base64url");
  // Asynchronous: the JVM takes seconds to start and etcd and the members start meanwhile.
  const format = ["kafka.tools.StorageTool", "format", "-t", clusterId, "-c", props, ...(secure?.formatArgs ?? [])];
  await execFileP("java", [...jvm, "-cp", cp, ...format], { encoding: "utf8" }).catch(
    (e: { stdout?: string; stderr?: string }) => {
      throw new LocalEnvError(
        "kafka",
        "formatting the KRaft storage failed",
        "check that Java 17 is installed",
        `${e.stdout ?? ""}\n${e.stderr ?? String(e)}`.trim(),
      );
    },
  );
  const started = Date.now();
  const proc = startProcess({
    name: "kafka",
    command: "java",
    args: [...jvm, "-cp", cp, "kafka.Kafka", props],
    runDir,
  });
  const client = new KafkaClient({
    brokers: [`127.0.0.1:${port}`],
    clientId: "localenv-probe",
    retries: 0,
    connectionTimeoutMs: 1000,
    security: kafkaSecurityAs(secure?.info, "admin"),
  });
  try {
    await waitReady(proc, async () => (await client.ping()).brokers === 1, timeoutMs);
  } finally {
    await client.close().catch(() => undefined);
  }
  const info: KafkaInfo = {
    bootstrap: `127.0.0.1:${port}`,
    port,
    controllerPort,
    ...(secure ? { security: secure.info } : {}),
  };
  return { proc, info, startupMs: Date.now() - started };
}

export interface EtcdInfo {
  endpoint: string;
  port: number;
}

export async function startEtcd(
  bin: BinaryPaths,
  runDir: string,
  port: number,
  peerPort: number,
  timeoutMs: number,
): Promise<Started<EtcdInfo>> {
  const endpoint = `http://127.0.0.1:${port}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const started = Date.now();
  const proc = startProcess({
    name: "etcd",
    command: bin.etcd,
    runDir,
    args: [
      "--name=localenv",
      `--data-dir=${join(runDir, "etcd")}`,
      `--listen-client-urls=${endpoint}`,
      `--advertise-client-urls=${endpoint}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=localenv=${peer}`,
      "--log-level=warn",
      // Test data only: skipping fsync keeps the shared disk from throttling every member cluster.
      "--unsafe-no-fsync",
      "--quota-backend-bytes=4294967296",
    ],
  });
  await waitReady(proc, async () => (await httpGet(`${endpoint}/health`)).body.includes('"health":"true"'), timeoutMs);
  return { proc, info: { endpoint, port }, startupMs: Date.now() - started };
}

export interface MemberInfo {
  name: string;
  server: string;
  port: number;
  etcdPrefix: string;
  caFile: string;
  clientCert: string;
  clientKey: string;
}

/** One member cluster: a kube-apiserver on the shared etcd under its own prefix, with its own certificates. */
export async function startMember(
  bin: BinaryPaths,
  runDir: string,
  pki: Pki,
  name: string,
  port: number,
  etcd: string,
  timeoutMs: number,
  opts: { profiling?: boolean } = {},
): Promise<Started<MemberInfo>> {
  const serving = pki.issue(`${name}-serving`, {
    cn: `kube-apiserver-${name}`,
    sans: ["IP:127.0.0.1", "DNS:localhost", `DNS:${name}`],
  });
  const client = pki.issue(`${name}-admin`, { cn: `admin@${name}`, org: "system:masters" });
  const sa = pki.serviceAccountKey();
  const etcdPrefix = `/members/${name}`;
  const started = Date.now();
  const proc = startProcess({
    name: `kube-apiserver-${name}`,
    command: bin.kubeApiserver,
    runDir,
    args: [
      `--etcd-servers=${etcd}`,
      `--etcd-prefix=${etcdPrefix}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${port}`,
      `--cert-dir=${join(runDir, "kube", name)}`,
      `--tls-cert-file=${serving.cert}`,
      `--tls-private-key-file=${serving.key}`,
      `--client-ca-file=${pki.ca.cert}`,
      `--service-account-issuer=https://${name}.kubefed.local`,
      `--service-account-key-file=${sa.cert}`,
      `--service-account-signing-key-file=${sa.key}`,
      // Addresses handed to Services only; nothing is ever sent to this range.
      "--service-cluster-ip-range=10.96.0.0/16",
      "--authorization-mode=Node,RBAC",
      "--enable-priority-and-fairness=false",
      `--profiling=${opts.profiling === true}`,
      "--endpoint-reconciler-type=none",
      "--v=1",
    ],
  });
  const tls = { ca: pki.ca.cert, cert: client.cert, key: client.key };
  await waitReady(proc, async () => (await httpGet(`https://127.0.0.1:${port}/readyz`, tls)).status === 200, timeoutMs);
  return {
    proc,
    info: {
      name,
      server: `https://127.0.0.1:${port}`,
      port,
      etcdPrefix,
      caFile: pki.ca.cert,
      clientCert: client.cert,
      clientKey: client.key,
    },
    startupMs: Date.now() - started,
  };
}

export interface CorednsInfo {
  /** UDP and TCP port answering DNS. */
  port: number;
  zone: string;
  etcdPrefix: string;
}

/** CoreDNS serving `zone` from SkyDNS records under `etcdPrefix` in the shared etcd. */
export async function startCoredns(
  bin: BinaryPaths,
  runDir: string,
  port: number,
  healthPort: number,
  etcd: string,
  zone: string,
  timeoutMs: number,
): Promise<Started<CorednsInfo>> {
  const dir = join(runDir, "coredns");
  mkdirSync(dir, { recursive: true });
  const etcdPrefix = "/skydns";
  const corefile = join(dir, "Corefile");
  writeFileSync(
    corefile,
    `${zone}:${port} {\n  bind 127.0.0.1\n  etcd ${zone} {\n    path ${etcdPrefix}\n    endpoint ${etcd}\n  }\n  health 127.0.0.1:${healthPort}\n  errors\n}\n`,
  );
  const started = Date.now();
  const proc = startProcess({ name: "coredns", command: bin.coredns, runDir, cwd: dir, args: ["-conf", corefile] });
  await waitReady(proc, async () => (await httpGet(`http://127.0.0.1:${healthPort}/health`)).status === 200, timeoutMs);
  return { proc, info: { port, zone, etcdPrefix }, startupMs: Date.now() - started };
}

export interface OpaInfo {
  url: string;
  port: number;
}

export async function startOpa(
  bin: BinaryPaths,
  runDir: string,
  port: number,
  timeoutMs: number,
): Promise<Started<OpaInfo>> {
  const dir = join(runDir, "opa");
  mkdirSync(dir, { recursive: true });
  const url = `http://127.0.0.1:${port}`;
  const started = Date.now();
  const proc = startProcess({
    name: "opa",
    command: bin.opa,
    runDir,
    cwd: dir,
    args: ["run", "--server", `--addr=127.0.0.1:${port}`, "--log-level=error", "--disable-telemetry", dir],
  });
  await waitReady(proc, async () => (await httpGet(`${url}/health`)).status === 200, timeoutMs);
  return { proc, info: { url, port }, startupMs: Date.now() - started };
}
