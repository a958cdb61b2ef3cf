// @kubefed/config: the one source of every service's configuration. Loaders are pure: the caller passes the
// environment (usually process.env) and the flags it parsed; nothing here reads process state or files.
export { KAFKA_SASL_MECHANISMS, KAFKA_SECURITY_PROTOCOLS, LOG_LEVELS, SERVICES } from "./common.ts";
export type {
  CommonConfig,
  KafkaConfig,
  KafkaSaslMechanism,
  KafkaSecurityConfig,
  KafkaSecurityProtocol,
  LogLevel,
  ServiceName,
} from "./common.ts";
export { loadIngestConfig } from "./ingest.ts";
export type { IngestConfig, IngestSettings } from "./ingest.ts";
export { loadPropagatorConfig } from "./propagator.ts";
export type { ClusterSelection, PropagatorConfig, PropagatorSettings } from "./propagator.ts";
export { DNS_PROVIDERS, TSIG_ALGORITHMS, UNSUPPORTED_DNS_PROVIDERS, loadDnsSyncConfig } from "./dns-sync.ts";
export { parseCorednsProviderConfig, type CorednsProviderFile } from "./dns-provider-config.ts";
export type { DnsProviderConfig, DnsProviderName, DnsSyncConfig, DnsSyncSettings, TsigAlgorithm } from "./dns-sync.ts";
export { CONFIG_DESCRIPTION, describeConfig, listenPorts, loadConfig, suggestVariable } from "./describe.ts";
export type { ConfigByService, OverridesByService, VariableDescription } from "./describe.ts";
export { ConfigError } from "./spec.ts";
export type { ConfigProblem, Env, OverrideValue, Overrides } from "./spec.ts";
export type { HostPort } from "./parse.ts";
