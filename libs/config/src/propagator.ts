// Configuration of the propagator: per-member-cluster consumers applying desired state into member clusters.
import {
  commonConfig,
  commonVariables,
  loadService,
  type CommonConfig,
  type CommonSettings,
  type ServiceDefinition,
} from "./common.ts";
import { dns1123Subdomain, duration, integer, labelValue, list, listenPort, text } from "./parse.ts";
import type { Env, Overrides } from "./spec.ts";

export interface PropagatorSettings extends CommonSettings {
  readonly clusters?: readonly string[];
  readonly region?: string;
  readonly healthProbeInterval: number;
  readonly failuresToOffline: number;
  readonly successesToReady: number;
  readonly resyncPeriod: number;
  readonly metricsPort: number;
  readonly secretsKeyFile?: string;
  readonly concurrency: number;
}

/** Which member clusters this worker serves; two workers with overlapping selections fail over to each other. */
export type ClusterSelection =
  | { readonly kind: "all" }
  | { readonly kind: "clusters"; readonly clusters: readonly string[] }
  | { readonly kind: "region"; readonly region: string };

export interface PropagatorConfig extends CommonConfig {
  readonly selection: ClusterSelection;
  readonly healthProbeIntervalMs: number;
  /** Consecutive failed probes before a Ready cluster is reported Offline. */
  readonly failuresToOffline: number;
  /** Consecutive good probes before an Offline cluster is reported Ready again. */
  readonly successesToReady: number;
  readonly resyncPeriodMs: number;
  /** Serves /metrics, /healthz and /readyz. */
  readonly metricsPort: number;
  /** The keyring (same file as the ingest's) that decrypts member credentials Secrets from the log. */
  readonly secretsKeyFile: string | undefined;
  /** Reconciles in flight per member cluster. */
  readonly concurrency: number;
}

export const propagatorDefinition: ServiceDefinition<PropagatorSettings, PropagatorConfig> = {
  service: "propagator",
  prefix: "PROPAGATOR_",
  variables: {
    ...commonVariables("propagator"),
    clusters: {
      env: "PROPAGATOR_CLUSTERS",
      description:
        "Comma-separated member clusters this worker serves. Unset with PROPAGATOR_REGION unset: all clusters.",
      parse: list(dns1123Subdomain, { unique: true }),
    },
    region: {
      env: "PROPAGATOR_REGION",
      description: "Serve the member clusters of this region. Exclusive with PROPAGATOR_CLUSTERS.",
      parse: labelValue,
    },
    healthProbeInterval: {
      env: "PROPAGATOR_HEALTH_PROBE_INTERVAL",
      description: "Time between health probes of each member cluster.",
      default: "2s",
      parse: duration,
    },
    failuresToOffline: {
      env: "PROPAGATOR_FAILURES_TO_OFFLINE",
      description: "Consecutive failed probes before a cluster is reported Offline.",
      default: "3",
      parse: integer(1, 1000),
    },
    successesToReady: {
      env: "PROPAGATOR_SUCCESSES_TO_READY",
      description: "Consecutive successful probes before an Offline cluster is reported Ready.",
      default: "2",
      parse: integer(1, 1000),
    },
    resyncPeriod: {
      env: "PROPAGATOR_RESYNC_PERIOD",
      description: "Period of the full reconcile that backs up member watches.",
      default: "10m",
      parse: duration,
    },
    metricsPort: {
      env: "PROPAGATOR_METRICS_PORT",
      description: "HTTP port for /metrics, /healthz and /readyz.",
      default: "9090",
      port: true,
      parse: listenPort,
    },
    secretsKeyFile: {
      env: "PROPAGATOR_SECRETS_KEY_FILE",
      description:
        "AES-256-GCM keyring JSON (the ingest's) to decrypt member credentials. Unset: members are reached anonymously.",
      file: true,
      parse: text("must be a file path"),
    },
    concurrency: {
      env: "PROPAGATOR_CONCURRENCY",
      description: "Reconciles in flight per member cluster.",
      default: "16",
      parse: integer(1, 1024),
    },
  },
  check: (r) =>
    r.explicit.has("clusters") && r.explicit.has("region")
      ? [
          {
            variable: r.name("region"),
            message: `${r.label("clusters")} and ${r.label("region")} are exclusive: set one of them, or neither to serve all clusters`,
          },
        ]
      : [],
  build: (s) => ({
    ...commonConfig(s),
    selection:
      s.clusters !== undefined
        ? { kind: "clusters", clusters: s.clusters }
        : s.region !== undefined
          ? { kind: "region", region: s.region }
          : { kind: "all" },
    healthProbeIntervalMs: s.healthProbeInterval,
    failuresToOffline: s.failuresToOffline,
    successesToReady: s.successesToReady,
    resyncPeriodMs: s.resyncPeriod,
    metricsPort: s.metricsPort,
    secretsKeyFile: s.secretsKeyFile,
    concurrency: s.concurrency,
  }),
};

/** Loads the propagator's configuration; throws ConfigError listing every problem. */
export const loadPropagatorConfig = (env: Env, overrides: Overrides<PropagatorSettings> = {}): PropagatorConfig =>
  loadService(propagatorDefinition, env, overrides).config;
