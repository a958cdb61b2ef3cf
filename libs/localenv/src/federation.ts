import { randomBytes } from "node:crypto";
import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { KafkaClient } from "@kubefed/kafka";
import { federationAcls, kafkaSecurityAs, kafkaSecurityEnv } from "./kafkasecurity.ts";
import { Pki } from "./pki.ts";
import { startProcess, type Managed } from "./process.ts";
import { freePort, httpGet, waitReady } from "./ready.ts";
import { REPO_ROOT } from "./versions.ts";
import type { EnvironmentInfo } from "./env.ts";

/** Node flags of the services: KUBEFED_CPU_PROFILE_DIR=dir writes a V8 CPU profile of each service there on exit. */
export function nodeArgs(entry: string): string[] {
  const dir = process.env.KUBEFED_CPU_PROFILE_DIR;
  return [...(dir ? ["--cpu-prof", `--cpu-prof-dir=${dir}`] : []), "--import", "tsx", join(REPO_ROOT, entry)];
}

/** A node service of the federation that tests stop, kill and restart. */
export interface ServiceHandle {
  proc: Managed;
  stop(): Promise<void>;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
  restart(): Promise<void>;
}

export async function serviceHandle(start: () => Promise<Managed>): Promise<ServiceHandle> {
  const h: ServiceHandle = {
    proc: await start(),
    stop: () => h.proc.stop(),
    kill: async () => {
      process.kill(h.proc.pid, "SIGKILL");
      await h.proc.exited;
    },
    restart: async () => {
      await h.proc.stop();
      h.proc = await start();
    },
  };
  return h;
}

export interface Federation extends ServiceHandle {
  name: string;
  url: string;
  port: number;
  token: string;
  /** The read-only identity: user "viewer" in group kubefed:viewers, which the bootstrap policy binds to view. */
  viewerToken: string;
  /** kubeconfig with the member contexts plus "federation" (token auth, system:masters) and "federation-viewer". */
  kubeconfig: string;
  caFile: string;
  keyFile: string;
}

/**
 * Starts the federation control plane (the ingest process, services/ingest) against the environment's Kafka, with a token file, a
 * secrets keyring and a serving certificate from the environment's CA, under a federation name of its own.
 */
export async function startFederation(
  env: EnvironmentInfo,
  name: string,
  opts: {
    port?: number;
    replicaOf?: Federation;
    /** More ingest settings (INGEST_REBALANCE_READMIT_AFTER, INGEST_BASIC_AUTH_FILE, INGEST_CLIENT_CA_FILE, ...). */
    env?: Record<string, string>;
    /** Extra flags of the ingest, e.g. --admission-control=SchedulingPolicy. */
    args?: string[];
    readyTimeoutMs?: number;
    /** More lines of the token file (`token,user,uid,"group1,group2"`): identities of a test's own. */
    tokens?: string[];
  } = {},
): Promise<Federation> {
  // A replica serves the same federation (same log, tokens and keys) from a process and port of its own.
  const replica = opts.replicaOf;
  const base = join(env.runDir, "federations", replica ? replica.name : name);
  const dir = replica ? join(base, `replica-${randomBytes(3).toString("hex")}`) : base;
  if (replica) name = replica.name;
  mkdirSync(dir, { recursive: true });
  const pki = new Pki(join(env.runDir, "pki"));
  const serving = pki.issue(`ingest-${name}`, { cn: `ingest-${name}`, sans: ["IP:127.0.0.1", "DNS:localhost"] });
  const token = replica ? replica.token : randomBytes(16).toString("hex");
  const tokenFile = join(base, "tokens.csv");
  const viewerToken = `viewer-token-${token}`;
  if (!replica)
    writeFileSync(
      tokenFile,
      [
        `${token},admin,admin-uid,"system:masters"`,
        `${viewerToken},viewer,viewer-uid,"kubefed:viewers"`,
        ...(opts.tokens ?? []),
      ]
        .map((l) => `${l}\n`)
        .join(""),
    );
  const keyFile = join(base, "keys.json");
  if (!replica)
    writeFileSync(keyFile, JSON.stringify({ primary: "k1", keys: { k1: randomBytes(32).toString("base64") } }));
  const port = opts.port ?? (await freePort());
  const url = `https://127.0.0.1:${port}`;
  const kubeconfig = join(dir, "kubeconfig");
  writeFileSync(
    kubeconfig,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        { name: "federation", cluster: { server: url, "certificate-authority": pki.ca.cert } },
        ...env.members.map((m) => ({ name: m.name, cluster: { server: m.server, "certificate-authority": m.caFile } })),
      ],
      users: [
        { name: "federation-admin", user: { token } },
        { name: "federation-viewer", user: { token: viewerToken } },
        ...env.members.map((m) => ({
          name: `admin@${m.name}`,
          user: { "client-certificate": m.clientCert, "client-key": m.clientKey },
        })),
      ],
      contexts: [
        { name: "federation", context: { cluster: "federation", user: "federation-admin" } },
        { name: "federation-viewer", context: { cluster: "federation", user: "federation-viewer" } },
        ...env.members.map((m) => ({ name: m.name, context: { cluster: m.name, user: `admin@${m.name}` } })),
      ],
      "current-context": "federation",
    }),
  );
  const environment = {
    ...process.env,
    KUBEFED_FEDERATION_NAME: name,
    KAFKA_BROKERS: env.kafka.bootstrap,
    INGEST_SECURE_PORT: String(port),
    INGEST_BIND_ADDRESS: "127.0.0.1",
    INGEST_TLS_CERT_FILE: serving.cert,
    INGEST_TLS_KEY_FILE: serving.key,
    INGEST_TOKEN_AUTH_FILE: tokenFile,
    INGEST_SECRETS_KEY_FILE: keyFile,
    LOG_LEVEL: "warn",
    ...kafkaSecurityEnv(env.kafka.security, "ingest"),
    ...opts.env,
  };
  if (env.kafka.security && !replica) await grantFederation(env, name);
  const start = async () => {
    const proc = startProcess({
      name: `ingest-${name}${replica ? `-${port}` : ""}`,
      command: process.execPath,
      args: [...nodeArgs("services/ingest/src/main.ts"), ...(opts.args ?? [])],
      runDir: env.runDir,
      cwd: REPO_ROOT,
      env: environment,
    });
    await waitReady(
      proc,
      async () => (await httpGet(`${url}/readyz`, { ca: pki.ca.cert })).status === 200,
      opts.readyTimeoutMs ?? 60_000,
    );
    return proc;
  };
  // The handle itself (not a copy): restart replaces its proc.
  return Object.assign(await serviceHandle(start), {
    name,
    url,
    port,
    token,
    viewerToken,
    kubeconfig,
    caFile: pki.ca.cert,
    keyFile,
  });
}

/**
 * The ACLs of a federation on the environment's SASL_SSL Kafka, granted as its admin. The tail groups follow the
 * client ids: the ingest's default (`kubefed-ingest`), `<fed>-<worker>` of startPropagator, dns-sync's default.
 */
async function grantFederation(env: EnvironmentInfo, name: string): Promise<void> {
  const admin = new KafkaClient({
    brokers: [env.kafka.bootstrap],
    clientId: "localenv-admin",
    security: kafkaSecurityAs(env.kafka.security, "admin"),
  });
  try {
    await admin.grant(
      federationAcls(name, {
        ingest: "kubefed-ingest.tail.",
        propagator: `${name}-`,
        "dns-sync": "kubefed-dns-sync.tail.",
      }),
    );
  } finally {
    await admin.close().catch(() => undefined);
  }
}

export interface Propagator extends ServiceHandle {
  readonly name: string;
  /** Serves /metrics, /readyz and /clusters (which clusters it holds: `active`). */
  readonly url: string;
  /** The clusters this worker currently serves, and whether it is the active one for each. */
  clusters(): Promise<{ name: string; active: boolean; ready: boolean | null }[]>;
}

export interface PropagatorOptions {
  /** Distinguishes several workers of one federation (log file names). */
  name?: string;
  clusters?: string[];
  region?: string;
  /** Extra environment, e.g. PROPAGATOR_HEALTH_PROBE_INTERVAL. */
  env?: Record<string, string>;
}

/** Starts a propagator worker (services/propagator) for a running federation. */
export async function startPropagator(
  env: EnvironmentInfo,
  fed: Pick<Federation, "name" | "keyFile">,
  opts: PropagatorOptions = {},
): Promise<Propagator> {
  const name = opts.name ?? "propagator";
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const environment = {
    ...process.env,
    KUBEFED_FEDERATION_NAME: fed.name,
    KAFKA_BROKERS: env.kafka.bootstrap,
    KAFKA_CLIENT_ID: `${fed.name}-${name}`,
    PROPAGATOR_METRICS_PORT: String(port),
    PROPAGATOR_SECRETS_KEY_FILE: fed.keyFile,
    ...(opts.clusters ? { PROPAGATOR_CLUSTERS: opts.clusters.join(",") } : {}),
    ...(opts.region ? { PROPAGATOR_REGION: opts.region } : {}),
    LOG_LEVEL: "info",
    ...kafkaSecurityEnv(env.kafka.security, "propagator"),
    ...opts.env,
  };
  const start = async () => {
    const proc = startProcess({
      name: `${name}-${fed.name}`,
      command: process.execPath,
      args: nodeArgs("services/propagator/src/main.ts"),
      runDir: env.runDir,
      cwd: REPO_ROOT,
      env: environment,
    });
    await waitReady(proc, async () => (await httpGet(`${url}/readyz`)).status === 200, 60_000);
    return proc;
  };
  return Object.assign(await serviceHandle(start), {
    name,
    url,
    clusters: async () =>
      JSON.parse((await httpGet(`${url}/clusters`)).body) as { name: string; active: boolean; ready: boolean | null }[],
  });
}
