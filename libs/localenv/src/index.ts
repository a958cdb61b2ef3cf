export {
  startEnvironment,
  writeKubeconfig,
  type Environment,
  type EnvironmentInfo,
  type EnvironmentOptions,
  type MemberWorkloads,
} from "./env.ts";
export { defaultTopology, startKwok, type MemberTopology } from "./kwok.ts";
export { startScheduler } from "./controlplane.ts";
export { memberRange, inRange } from "./lbaddress.ts";
export type { LoadBalancerInfo } from "./loadbalancer.ts";
export { installAll, isInstalled, ensureToolchains, ensureDnsServers, type Progress } from "./install.ts";
export { TSIG_KEY_NAME, type AuthoritativeDnsInfo } from "./authdns.ts";
export { startDnsServers, type DnsServers, type DnsServersOptions } from "./dnsservers.ts";
export { LocalEnvError } from "./errors.ts";
export { binaryPaths, cacheRoot, REPO_ROOT, VERSIONS } from "./versions.ts";
export { freePort, httpGet } from "./ready.ts";
export type { MemberInfo, KafkaInfo, EtcdInfo, CorednsInfo, OpaInfo } from "./components.ts";
export { Pki, type CertPair } from "./pki.ts";
export { startKafka, type Started } from "./components.ts";
export {
  federationAcls,
  kafkaSecurityAs,
  kafkaSecurityEnv,
  KAFKA_PRINCIPALS,
  type KafkaPrincipal,
  type KafkaSecurityInfo,
} from "./kafkasecurity.ts";
export { isOurs, startProcess, type Managed } from "./process.ts";
export { waitReady } from "./ready.ts";
export {
  startFederation,
  startPropagator,
  type Federation,
  type Propagator,
  type PropagatorOptions,
} from "./federation.ts";
export {
  startDnsSync,
  startExtraCoredns,
  writeCorednsProviderConfig,
  type DnsSync,
  type DnsSyncOptions,
  type ExtraCoredns,
} from "./dns.ts";
