// Settings every service shares (federation identity, Kafka, logging) and the loader that turns a service's
// variable table into its typed configuration.
import type { LevelWithSilent } from "pino";
import { dns1123Label, formatHostPort, hostPort, integer, list, oneOf, onlyValue, text, type Parser } from "./parse.ts";
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

export const KAFKA_SECURITY_PROTOCOLS = ["plaintext", "ssl", "sasl_ssl"] as const;
export type KafkaSecurityProtocol = (typeof KAFKA_SECURITY_PROTOCOLS)[number];
export const KAFKA_SASL_MECHANISMS = ["scram-sha-512", "scram-sha-256"] as const;
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number];

/** How every Kafka client of the federation authenticates the brokers and itself (libs/kafka's KafkaSecurity). */
export interface KafkaSecurityConfig {
  readonly protocol: KafkaSecurityProtocol;
  /** ssl and sasl_ssl: the CA that signed the brokers' certificates (absent: the system's CAs), and mTLS. */
  readonly tls?: {
    readonly caFile?: string;
    readonly certFile?: string;
    readonly keyFile?: string;
  };
  /** sasl_ssl: the principal's SCRAM credentials; the password is read from a file, never from the environment. */
  readonly sasl?: {
    readonly mechanism: KafkaSaslMechanism;
    readonly username: string;
    readonly passwordFile: string;
  };
}

export interface KafkaConfig {
  /** "host:port" strings, the form kafkajs takes. */
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly security: KafkaSecurityConfig;
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
  readonly kafkaSecurityProtocol: KafkaSecurityProtocol;
  readonly kafkaTlsCaFile?: string;
  readonly kafkaTlsCertFile?: string;
  readonly kafkaTlsKeyFile?: string;
  readonly kafkaSaslMechanism: KafkaSaslMechanism;
  readonly kafkaSaslUsername?: string;
  readonly kafkaSaslPasswordFile?: string;
  readonly logLevel: LogLevel;
}

const file = text("must be a file path");

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
  kafkaSecurityProtocol: {
    env: "KAFKA_SECURITY_PROTOCOL",
    description:
      "How the Kafka clients connect: plaintext, ssl (TLS) or sasl_ssl (TLS and SASL SCRAM, with KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD_FILE).",
    default: "plaintext",
    parse: (raw) => oneOf(KAFKA_SECURITY_PROTOCOLS)(raw.toLowerCase()),
  },
  kafkaTlsCaFile: {
    env: "KAFKA_TLS_CA_FILE",
    description: "PEM CA bundle the Kafka brokers' certificates must chain to (ssl, sasl_ssl). Unset: the system CAs.",
    file: true,
    parse: file,
  },
  kafkaTlsCertFile: {
    env: "KAFKA_TLS_CERT_FILE",
    description: "PEM client certificate for brokers that ask for one (mTLS); with KAFKA_TLS_KEY_FILE.",
    file: true,
    parse: file,
  },
  kafkaTlsKeyFile: {
    env: "KAFKA_TLS_KEY_FILE",
    description: "PEM private key of KAFKA_TLS_CERT_FILE.",
    file: true,
    parse: file,
  },
  kafkaSaslMechanism: {
    env: "KAFKA_SASL_MECHANISM",
    description: `SASL mechanism (sasl_ssl): ${KAFKA_SASL_MECHANISMS.join(", ")}.`,
    default: "scram-sha-512",
    parse: (raw) => oneOf(KAFKA_SASL_MECHANISMS)(raw.toLowerCase()),
  },
  kafkaSaslUsername: {
    env: "KAFKA_SASL_USERNAME",
    description: "SASL username: the Kafka principal (User:<name>) the broker's ACLs grant (sasl_ssl).",
    parse: text(),
  },
  kafkaSaslPasswordFile: {
    env: "KAFKA_SASL_PASSWORD_FILE",
    description: "File holding the SASL password (sasl_ssl; a trailing newline is ignored). Never the password itself.",
    file: true,
    parse: file,
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
    security: kafkaSecurity(s),
  },
  logLevel: s.logLevel,
});

function kafkaSecurity(s: CommonSettings): KafkaSecurityConfig {
  const protocol = s.kafkaSecurityProtocol;
  if (protocol === "plaintext") return { protocol };
  const tls = {
    ...(s.kafkaTlsCaFile !== undefined ? { caFile: s.kafkaTlsCaFile } : {}),
    ...(s.kafkaTlsCertFile !== undefined ? { certFile: s.kafkaTlsCertFile } : {}),
    ...(s.kafkaTlsKeyFile !== undefined ? { keyFile: s.kafkaTlsKeyFile } : {}),
  };
  if (protocol === "ssl") return { protocol, tls };
  // kafkaChecks made both present for sasl_ssl.
  const sasl = {
    mechanism: s.kafkaSaslMechanism,
    username: s.kafkaSaslUsername!,
    passwordFile: s.kafkaSaslPasswordFile!,
  };
  return { protocol, tls, sasl };
}

const TLS_KEYS = ["kafkaTlsCaFile", "kafkaTlsCertFile", "kafkaTlsKeyFile"] as const;
const SASL_KEYS = ["kafkaSaslUsername", "kafkaSaslPasswordFile"] as const;

/** Rules between the Kafka security settings: a setting the chosen protocol would ignore is a mistake, not a no-op. */
function kafkaChecks(r: Resolution<CommonSettings>): ConfigProblem[] {
  const protocol = r.values.kafkaSecurityProtocol;
  if (protocol === undefined) return [];
  const problems: ConfigProblem[] = [];
  const protocolLabel = `${r.label("kafkaSecurityProtocol")}=${protocol}`;
  const ignored = (key: keyof CommonSettings, why: string) =>
    problems.push({ variable: r.name(key), message: `${r.label(key)} is set but ${protocolLabel} ${why}` });
  if (protocol === "plaintext") {
    for (const k of TLS_KEYS) if (r.explicit.has(k)) ignored(k, "does not use TLS (set it to ssl or sasl_ssl)");
  }
  if (protocol !== "sasl_ssl") {
    for (const k of [...SASL_KEYS, "kafkaSaslMechanism"] as const)
      if (r.explicit.has(k)) ignored(k, "does not use SASL (set it to sasl_ssl)");
  } else {
    for (const k of SASL_KEYS)
      if (!r.explicit.has(k))
        problems.push({ variable: r.name(k), message: `${r.label(k)} is required when ${protocolLabel}` });
  }
  problems.push(...bothOrNeither(r, "kafkaTlsCertFile", "kafkaTlsKeyFile", "the client certificate and its key"));
  return problems;
}

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
  const problems = [
    ...unknownPrefixed(def.prefix, known, env),
    ...resolution.problems,
    // Every service has the common settings, so their rules are checked here rather than by each service.
    ...kafkaChecks(resolution as unknown as Resolution<CommonSettings>),
    ...def.check(resolution),
  ];
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
