// Configuration of the ingest: the Kubernetes-compatible federation API server.
import {
  bothOrNeither,
  commonConfig,
  commonVariables,
  loadService,
  type CommonConfig,
  type CommonSettings,
  type ServiceDefinition,
} from "./common.ts";
import { boolean, byteSize, duration, integer, ipAddress, listenPort, oneOf, text, zoneName } from "./parse.ts";
import type { Env, Overrides } from "./spec.ts";

export interface IngestSettings extends CommonSettings {
  readonly bindAddress: string;
  readonly securePort: number;
  readonly tlsCertFile?: string;
  readonly tlsKeyFile?: string;
  readonly tokenAuthFile?: string;
  readonly basicAuthFile?: string;
  readonly clientCaFile?: string;
  readonly anonymousAuth: boolean;
  readonly secretsKeyFile?: string;
  readonly maxRequestBodyBytes: number;
  readonly maxWatchTimeout: number;
  readonly admissionControl?: string;
  readonly admissionControlConfigFile?: string;
  readonly rebalanceReadmitAfter: number;
  readonly rebalanceReadmitMax: number;
  readonly watchWindowBytes: number;
  readonly dnsZoneName?: string;
  readonly snapshotInterval: number;
}

export interface IngestConfig extends CommonConfig {
  readonly bindAddress: string;
  /** HTTPS port for the API and, like kube-apiserver, /metrics, /healthz, /livez and /readyz. */
  readonly securePort: number;
  /** Absent: the ingest generates a self-signed certificate at start. */
  readonly tls: { readonly certFile: string; readonly keyFile: string } | undefined;
  readonly auth: {
    /** kube-apiserver --token-auth-file format: token,user,uid,"group1,group2". */
    readonly tokenFile: string | undefined;
    /** kube-apiserver --basic-auth-file format: password,user,uid,"group1,group2". */
    readonly basicFile: string | undefined;
    /** kube-apiserver --client-ca-file: PEM CAs whose client certificates authenticate (CN user, O groups). */
    readonly clientCaFile: string | undefined;
    readonly anonymous: boolean;
  };
  /** AES-256-GCM keyring (JSON) for Secret payloads; absent: the ingest must refuse Secret writes. */
  readonly secretsKeyFile: string | undefined;
  readonly maxRequestBodyBytes: number;
  readonly maxWatchTimeoutMs: number;
  /**
   * The SchedulingPolicy admission step (policy placement by Open Policy Agent): the file naming OPA's URL,
   * absent when the step is off.
   */
  readonly schedulingPolicy: { readonly configFile: string } | undefined;
  /** The damping rule of rebalanced replicas (libs/placement's DampingRule): base and longest readmission wait. */
  readonly rebalance: { readonly readmitAfterMs: number; readonly readmitMaxMs: number };
  /** The watch window (changes kept for watches resuming from a past resourceVersion) is bounded by this too. */
  /**
   * The zone dns-sync keeps for this federation: a LoadBalancer Service's status then shows the DNS names it has
   * there (`status.dns`, planned as dns-sync plans them). Absent: no DNS names shown.
   */
  readonly dnsZoneName: string | undefined;
  readonly watchWindowBytes: number;
  /** Events between two snapshots of the folded state; 0: this ingest writes none. */
  readonly snapshotInterval: number;
}

const file = text("must be a file path");

export const ingestDefinition: ServiceDefinition<IngestSettings, IngestConfig> = {
  service: "ingest",
  prefix: "INGEST_",
  variables: {
    ...commonVariables("ingest"),
    bindAddress: {
      env: "INGEST_BIND_ADDRESS",
      description: "Address the HTTPS server listens on.",
      default: "0.0.0.0",
      parse: ipAddress,
    },
    securePort: {
      env: "INGEST_SECURE_PORT",
      description: "HTTPS port of the federation API; also serves /metrics and health endpoints.",
      default: "8443",
      port: true,
      parse: listenPort,
    },
    tlsCertFile: {
      env: "INGEST_TLS_CERT_FILE",
      description: "PEM serving certificate; with INGEST_TLS_KEY_FILE. Unset: self-signed certificate.",
      file: true,
      parse: file,
    },
    tlsKeyFile: {
      env: "INGEST_TLS_KEY_FILE",
      description: "PEM private key of INGEST_TLS_CERT_FILE.",
      file: true,
      parse: file,
    },
    tokenAuthFile: {
      env: "INGEST_TOKEN_AUTH_FILE",
      description: "Static bearer tokens, kube-apiserver --token-auth-file CSV format.",
      file: true,
      parse: file,
    },
    basicAuthFile: {
      env: "INGEST_BASIC_AUTH_FILE",
      description: "Static user passwords, kube-apiserver --basic-auth-file CSV format.",
      file: true,
      parse: file,
    },
    clientCaFile: {
      env: "INGEST_CLIENT_CA_FILE",
      description:
        "PEM CA bundle; client certificates it signed authenticate as CN (user) and O (groups), as kube-apiserver --client-ca-file.",
      file: true,
      parse: file,
    },
    anonymousAuth: {
      env: "INGEST_ANONYMOUS_AUTH",
      description:
        "Treat unauthenticated requests as system:anonymous (group system:unauthenticated), with only what RBAC grants them, instead of refusing them with 401.",
      default: "false",
      parse: boolean,
    },
    secretsKeyFile: {
      env: "INGEST_SECRETS_KEY_FILE",
      description: "AES-256-GCM keyring JSON encrypting Secret payloads in events. Unset: Secret writes are refused.",
      file: true,
      parse: file,
    },
    maxRequestBodyBytes: {
      env: "INGEST_MAX_REQUEST_BODY_BYTES",
      description: "Largest request body accepted (Kubernetes' own limit is 3Mi).",
      default: "3Mi",
      parse: byteSize,
    },
    maxWatchTimeout: {
      env: "INGEST_MAX_WATCH_TIMEOUT",
      description: "Longest a watch stays open; clients re-watch from their last resourceVersion.",
      default: "30m",
      parse: duration,
    },
    admissionControl: {
      env: "INGEST_ADMISSION_CONTROL",
      description:
        "Admission steps to run, as kube-apiserver's --admission-control: SchedulingPolicy (policy placement by Open Policy Agent) or unset.",
      parse: oneOf(["SchedulingPolicy"]),
    },
    admissionControlConfigFile: {
      env: "INGEST_ADMISSION_CONTROL_CONFIG_FILE",
      description:
        'JSON or YAML file of the SchedulingPolicy step: {"url": OPA base URL, "timeout": "2s", "failOpen": false}.',
      file: true,
      parse: file,
    },
    rebalanceReadmitAfter: {
      env: "INGEST_REBALANCE_READMIT_AFTER",
      description:
        "How long a cluster back from Offline must stay Ready before rebalanced replicas return to it; doubled for every other outage in the last 30 minutes.",
      default: "30s",
      parse: duration,
    },
    rebalanceReadmitMax: {
      env: "INGEST_REBALANCE_READMIT_MAX",
      description: "The longest a flapping cluster waits before rebalanced replicas return to it.",
      default: "10m",
      parse: duration,
    },
    dnsZoneName: {
      env: "INGEST_DNS_ZONE_NAME",
      description:
        "The DNS zone dns-sync keeps (DNS_SYNC_ZONE_NAME), with the trailing '.': LoadBalancer Services then show their DNS names in status.dns.",
      parse: zoneName,
    },
    watchWindowBytes: {
      env: "INGEST_WATCH_WINDOW_BYTES",
      description:
        "Most bytes of changes kept for watches resuming from a past resourceVersion (besides at most 100000 changes); older ones get 410 Gone.",
      default: "64Mi",
      parse: byteSize,
    },
    snapshotInterval: {
      env: "INGEST_SNAPSHOT_INTERVAL",
      description:
        "Events of the objects log between two snapshots of the folded state (<fed>.snapshots), which readers start from; 0 writes none.",
      default: "100000",
      parse: integer(0, 1_000_000_000),
    },
  },
  check: (r) => [
    ...bothOrNeither(r, "tlsCertFile", "tlsKeyFile", "both or neither; neither means a self-signed certificate"),
    ...bothOrNeither(
      r,
      "admissionControl",
      "admissionControlConfigFile",
      "SchedulingPolicy needs its config file naming OPA's URL",
    ),
  ],
  build: (s) => ({
    ...commonConfig(s),
    bindAddress: s.bindAddress,
    securePort: s.securePort,
    tls:
      s.tlsCertFile !== undefined && s.tlsKeyFile !== undefined
        ? { certFile: s.tlsCertFile, keyFile: s.tlsKeyFile }
        : undefined,
    auth: {
      tokenFile: s.tokenAuthFile,
      basicFile: s.basicAuthFile,
      clientCaFile: s.clientCaFile,
      anonymous: s.anonymousAuth,
    },
    secretsKeyFile: s.secretsKeyFile,
    maxRequestBodyBytes: s.maxRequestBodyBytes,
    maxWatchTimeoutMs: s.maxWatchTimeout,
    schedulingPolicy:
      s.admissionControl === "SchedulingPolicy" && s.admissionControlConfigFile !== undefined
        ? { configFile: s.admissionControlConfigFile }
        : undefined,
    rebalance: { readmitAfterMs: s.rebalanceReadmitAfter, readmitMaxMs: s.rebalanceReadmitMax },
    watchWindowBytes: s.watchWindowBytes,
    dnsZoneName: s.dnsZoneName,
    snapshotInterval: s.snapshotInterval,
  }),
};

/** Loads the ingest's configuration; throws ConfigError listing every problem. */
export const loadIngestConfig = (env: Env, overrides: Overrides<IngestSettings> = {}): IngestConfig =>
  loadService(ingestDefinition, env, overrides).config;
