export { startEnvironment, writeKubeconfig, type Environment, type EnvironmentInfo, type EnvironmentOptions } from "./env.ts";
export { installAll, isInstalled, ensureToolchains, type Progress } from "./install.ts";
export { LocalEnvError } from "./errors.ts";
export { binaryPaths, cacheRoot, VERSIONS } from "./versions.ts";
export { freePort, httpGet } from "./ready.ts";
export type { MemberInfo, KafkaInfo, EtcdInfo, CorednsInfo, OpaInfo } from "./components.ts";
export { Pki, type CertPair } from "./pki.ts";
export { startProcess, type Managed } from "./process.ts";
export { waitReady } from "./ready.ts";
