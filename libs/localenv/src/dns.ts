/**
 * DNS pieces of the local environment beyond the environment's own CoreDNS: dns-sync (services/dns-sync) for a
 * running federation, with its coredns provider config file, and extra CoreDNS processes with a Corefile of the
 * caller's (a member's cluster DNS in the short-name tests).
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { kafkaSecurityEnv } from "./kafkasecurity.ts";
import { nodeArgs, serviceHandle, type Federation, type ServiceHandle } from "./federation.ts";
import { startProcess, type Managed } from "./process.ts";
import { freePort, httpGet, waitReady } from "./ready.ts";
import { REPO_ROOT, binaryPaths } from "./versions.ts";
import type { AuthoritativeDnsInfo } from "./authdns.ts";
import type { EnvironmentInfo } from "./env.ts";

export interface DnsSync extends ServiceHandle {
  /** Serves /metrics, /healthz, /readyz and /sync. */
  readonly url: string;
  /** What /sync says: whether this replica writes the zone, what it owns, whether it is converged. */
  sync(): Promise<{
    active: boolean;
    owned: number;
    converged: boolean;
    passes: number;
    conflicts: string[];
    lastError: string | null;
  }>;
}

export interface DnsSyncOptions {
  /** Distinguishes replicas (log file names). */
  name?: string;
  /** The zone; the environment's CoreDNS zone by default. */
  zone?: string;
  /** Extra environment (DNS_SYNC_BATCH_SIZE, ...), or variables to leave out (undefined). */
  env?: Record<string, string | undefined>;
  /** Wait for /readyz (default true). */
  waitReady?: boolean;
  /** Keep the zone on this authoritative server by RFC 2136 (the environment's BIND 9 or Knot) instead of CoreDNS. */
  rfc2136?: AuthoritativeDnsInfo;
}

/** The coredns provider config file in the original's format, pointing at the environment's etcd. */
export function writeCorednsProviderConfig(env: EnvironmentInfo, dir: string, zone: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "coredns-provider.conf");
  writeFileSync(file, `[Global]\netcd-endpoints = ${env.etcd.endpoint}\nzones = ${zone}\n`);
  return file;
}

/**
 * Starts dns-sync for a running federation: with the coredns provider on the environment's etcd and CoreDNS, or
 * with the rfc2136 provider on the server `opts.rfc2136` names.
 */
export async function startDnsSync(
  env: EnvironmentInfo,
  fed: Pick<Federation, "name">,
  opts: DnsSyncOptions = {},
): Promise<DnsSync> {
  const name = opts.name ?? "dns-sync";
  const auth = opts.rfc2136;
  const zone = opts.zone ?? auth?.zone ?? env.coredns?.zone ?? "kubefed.test.";
  const dir = join(env.runDir, "federations", fed.name, `${name}-${randomBytes(3).toString("hex")}`);
  const providerEnv = auth
    ? {
        DNS_SYNC_PROVIDER: "rfc2136",
        DNS_SYNC_RFC2136_SERVER: `${auth.host}:${auth.port}`,
        DNS_SYNC_TSIG_KEY_NAME: auth.tsig.keyName,
        DNS_SYNC_TSIG_ALGORITHM: auth.tsig.algorithm,
        DNS_SYNC_TSIG_SECRET_FILE: auth.tsig.secretFile,
      }
    : {
        DNS_SYNC_PROVIDER: "coredns",
        DNS_SYNC_PROVIDER_CONFIG: writeCorednsProviderConfig(env, dir, zone),
        DNS_SYNC_ETCD_PREFIX: env.coredns?.etcdPrefix ?? "/skydns",
      };
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const environment: Record<string, string | undefined> = {
    ...process.env,
    KUBEFED_FEDERATION_NAME: fed.name,
    KAFKA_BROKERS: env.kafka.bootstrap,
    // Under SASL the ACLs give dns-sync's tail groups by its default client id; plaintext runs name each replica.
    ...(env.kafka.security
      ? kafkaSecurityEnv(env.kafka.security, "dns-sync")
      : { KAFKA_CLIENT_ID: `${fed.name}-${name}` }),
    DNS_SYNC_ZONE_NAME: zone,
    ...providerEnv,
    DNS_SYNC_METRICS_PORT: String(port),
    LOG_LEVEL: "info",
    ...opts.env,
  };
  for (const [k, v] of Object.entries(environment)) if (v === undefined) delete environment[k];
  const start = async (): Promise<Managed> => {
    const proc = startProcess({
      name: `${name}-${fed.name}`,
      command: process.execPath,
      args: nodeArgs("services/dns-sync/src/main.ts"),
      runDir: env.runDir,
      cwd: REPO_ROOT,
      env: environment as NodeJS.ProcessEnv,
    });
    if (opts.waitReady !== false)
      await waitReady(proc, async () => (await httpGet(`${url}/readyz`)).status === 200, 60_000);
    return proc;
  };
  return Object.assign(await serviceHandle(start), {
    url,
    sync: async () => JSON.parse((await httpGet(`${url}/sync`)).body),
  });
}

export interface ExtraCoredns {
  readonly proc: Managed;
  /** UDP and TCP port answering DNS. */
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Starts a CoreDNS of its own: `corefile(port, health)` gives the server blocks for the DNS port; `health` is a
 * directive to put in one of them (readiness is read from it).
 */
export async function startExtraCoredns(
  env: EnvironmentInfo,
  name: string,
  corefile: (port: number, health: string) => string,
  dnsPort?: number,
): Promise<ExtraCoredns> {
  const dir = join(env.runDir, name);
  mkdirSync(dir, { recursive: true });
  const [port, healthPort] = [dnsPort ?? (await freePort()), await freePort()];
  const file = join(dir, "Corefile");
  writeFileSync(file, corefile(port, `health 127.0.0.1:${healthPort}`));
  const proc = startProcess({
    name,
    command: binaryPaths().coredns,
    runDir: env.runDir,
    cwd: dir,
    args: ["-conf", file],
  });
  await waitReady(proc, async () => (await httpGet(`http://127.0.0.1:${healthPort}/health`)).status === 200, 30_000);
  return { proc, port, stop: () => proc.stop() };
}
