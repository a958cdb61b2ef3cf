// Settings every service shares (federation identity, Kafka, logging) and the loader that turns a service's
// variable table into its typed configuration.
import type { LevelWithSilent } from "pino";
import { dns1123Label, formatHostPort, hostPort, integer, list, oneOf, onlyValue, type Parser } from "./parse.ts";
import {
  ConfigError,
  resolve,
  unknownPrefixed,
  type ConfigProblem,
  type Env,
  type Overrides,
  type Resolution,
  type Variables,
} from "./spec.ts";

export const SERVICES = ["ingest", "propagator", "dns-sync"] as const;
export type ServiceName = (typeof SERVICES)[number];

// pino's own level names, so LOG_LEVEL passes straight to @kubefed/logging.
export const LOG_LEVELS = [
  "fatal",
  "error",
  "warn",
  "info",
  "debug",
  "trace",
  "silent",
] as const satisfies readonly LevelWithSilent[];
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface KafkaConfig {
  /** "host:port" strings, the form kafkajs takes. */
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** Partitions of `<fed>.objects`; 1 keeps the offset a global order (resourceVersion = offset). */
  readonly objectsTopicPartitions: number;
  /** Replication factor of every topic the federation creates. */
  readonly replicationFactor: number;
}

export interface CommonConfig {
  readonly federationName: string;
  readonly kafka: KafkaConfig;
  readonly logLevel: LogLevel;
}

export interface CommonSettings {
  readonly federationName: string;
  readonly kafkaBrokers: readonly string[];
  readonly kafkaClientId: string;
  readonly objectsTopicPartitions: number;
  readonly topicReplicationFactor: number;
  readonly logLevel: LogLevel;
}

const brokers: Parser<readonly string[]> = (raw) => {
  const parsed = list(hostPort())(raw);
  return parsed.ok ? { ok: true, value: parsed.value.map(formatHostPort) } : parsed;
};

const clientId: Parser<string> = (raw) =>
  /^[A-Za-z0-9._-]{1,255}$/.test(raw)
    ? { ok: true, value: raw }
    : {
        ok: false,
        allowed: "must be 1-255 characters of letters, digits, '.', '_' or '-' (Kafka quota and metric names)",
      };

export const commonVariables = (service: ServiceName): Variables<CommonSettings> => ({
  federationName: {
    env: "KUBEFED_FEDERATION_NAME",
    description: "Name of the federation; prefixes topics (<fed>.objects) and consumer groups, appears in DNS names.",
    default: "federation",
    parse: dns1123Label,
  },
  kafkaBrokers: {
    env: "KAFKA_BROKERS",
    description: "Comma-separated Kafka bootstrap brokers, host:port each.",
    default: "127.0.0.1:9092",
    parse: brokers,
  },
  kafkaClientId: {
    env: "KAFKA_CLIENT_ID",
    description: "Kafka client.id, shown in broker logs and quotas.",
    default: `kubefed-${service}`,
    parse: clientId,
  },
  objectsTopicPartitions: {
    env: "KAFKA_OBJECTS_TOPIC_PARTITIONS",
    description:
      "Partitions of <fed>.objects when it is created. Only 1 is supported: resourceVersion is the offset of one global order.",
    default: "1",
    // Read-your-writes, resourceVersions and the propagator's cursors all rest on one partition: refuse more,
    // rather than start a federation whose versions collide.
    parse: onlyValue(1, "resourceVersion is the offset of one global order, which more partitions would break"),
  },
  topicReplicationFactor: {
    env: "KAFKA_TOPIC_REPLICATION_FACTOR",
    description: "Replication factor of the topics the federation creates (1 for a single-broker environment).",
    default: "1",
    parse: integer(1, 32_767),
  },
  logLevel: {
    env: "LOG_LEVEL",
    description: `Log level: ${LOG_LEVELS.join(", ")}.`,
    default: "info",
    parse: oneOf(LOG_LEVELS),
  },
});

export const commonConfig = (s: CommonSettings): CommonConfig => ({
  federationName: s.federationName,
  kafka: {
    brokers: s.kafkaBrokers,
    clientId: s.kafkaClientId,
    objectsTopicPartitions: s.objectsTopicPartitions,
    replicationFactor: s.topicReplicationFactor,
  },
  logLevel: s.logLevel,
});

export interface ServiceDefinition<S, C> {
  readonly service: ServiceName;
  /** Variables with this prefix must be known to the service (catches misspellings). */
  readonly prefix: string;
  readonly variables: Variables<S>;
  /** Rules between variables; sees only what parsed, so one bad value does not cascade into noise. */
  readonly check: (r: Resolution<S>) => ConfigProblem[];
  readonly build: (settings: S) => C;
}

export function loadService<S, C>(
  def: ServiceDefinition<S, C>,
  env: Env,
  overrides: Overrides<S> = {},
): { readonly settings: S; readonly config: C } {
  const resolution = resolve(def.variables, env, overrides);
  const known = Object.values<{ env: string }>(def.variables).map((v) => v.env);
  const problems = [...unknownPrefixed(def.prefix, known, env), ...resolution.problems, ...def.check(resolution)];
  if (problems.length > 0) throw new ConfigError(def.service, problems);
  // No problems: every required key parsed, and optional keys may be absent, exactly as S allows.
  const settings = resolution.values as S;
  return { settings, config: def.build(settings) };
}

/** For "both or neither" rules such as a TLS certificate and its key. */
export function bothOrNeither<S>(r: Resolution<S>, a: keyof S, b: keyof S, why: string): ConfigProblem[] {
  const hasA = r.explicit.has(a);
  if (hasA === r.explicit.has(b)) return [];
  const [set, missing]: [keyof S, keyof S] = hasA ? [a, b] : [b, a];
  return [
    { variable: r.name(missing), message: `${r.label(missing)} must be set when ${r.label(set)} is set (${why})` },
  ];
}
