// The objects `kubefed init` creates in the host cluster, built from the plan and the generated material by pure
// functions: --dry-run prints exactly what init would create, and the unit tests read the same list.
import type { KubernetesObject } from "@kubernetes/client-node";
import {
  ADVERTISE_ADDRESS_ANNOTATION,
  COMPONENT_LABEL,
  CONTROL_PLANE_LABEL,
  HOST_NAMESPACE,
  HostComponent,
  hostedNames,
  type HostedNames,
} from "@kubefed/names";
import { ConfigError, loadConfig } from "@kubefed/config";
import { InputError } from "../output.ts";
import type { InitPlan } from "./options.ts";
import { labelsOf, meta, restrictedContainer, restrictedPod, type Material } from "./objects.ts";
import { kafkaBrokersOf, kafkaManifests } from "./kafka.ts";

/** The user the admin credentials authenticate as; system:masters as kube-apiserver's bootstrap admin. */
export const ADMIN_USER = "admin";
const ADMIN_GROUPS = "system:masters";

/** Port of the ingest inside the pod (libs/config's default) and of its Service. */
export const INGEST_PORT = 8443;
export const SERVICE_PORT = 443;
const PROPAGATOR_METRICS_PORT = 9090;
const DNS_SYNC_METRICS_PORT = 9091;

/** Where the one image keeps each service's compiled entry point (see the Dockerfile and scripts/build-services.mjs). */
export const entryPoint = (service: "ingest" | "propagator" | "dns-sync"): string =>
  `services/${service}/dist/main.mjs`;

// Mount points inside the containers.
const TLS_DIR = "/etc/kubefed/tls";
const AUTH_DIR = "/etc/kubefed/auth";
const KEYRING_DIR = "/etc/kubefed/keyring";
const DNS_DIR = "/etc/kubefed/dns";
/** The dns-sync variable naming its provider config file, mounted from a Secret. */
export const DNS_PROVIDER_CONFIG_VARIABLE = "DNS_SYNC_PROVIDER_CONFIG";
export const DNS_PROVIDER_CONFIG_FILE = `${DNS_DIR}/provider.conf`;

const secret = (fed: string, name: string, data: Record<string, string>, type = "Opaque"): KubernetesObject =>
  ({ apiVersion: "v1", kind: "Secret", metadata: meta(fed, name), type, stringData: data }) as KubernetesObject;

const serviceAccount = (fed: string, name: string, component: HostComponent): KubernetesObject =>
  ({
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: meta(fed, name, component),
    // No component calls the host's API: the pods get no token.
    automountServiceAccountToken: false,
  }) as KubernetesObject;

/** The uid of the node image's `node` user, which the Dockerfile runs as. */
const NODE_UID = 1000;

interface ServiceDeployment {
  readonly fed: string;
  readonly name: string;
  readonly component: HostComponent;
  readonly image: string;
  readonly entry: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly port: { readonly name: string; readonly number: number; readonly scheme: "HTTP" | "HTTPS" };
  readonly secrets: readonly { readonly name: string; readonly dir: string }[];
}

function deployment(d: ServiceDeployment): KubernetesObject {
  const selector = { [CONTROL_PLANE_LABEL]: d.fed, [COMPONENT_LABEL]: d.component };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: meta(d.fed, d.name, d.component),
    spec: {
      replicas: 1,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: labelsOf(d.fed, d.component) },
        spec: {
          serviceAccountName: d.name,
          automountServiceAccountToken: false,
          securityContext: restrictedPod(NODE_UID),
          containers: [
            {
              name: d.component,
              image: d.image,
              command: ["node", d.entry],
              args: [...d.args],
              env: Object.entries(d.env).map(([name, value]) => ({ name, value })),
              ports: [{ name: d.port.name, containerPort: d.port.number }],
              readinessProbe: {
                httpGet: { path: "/readyz", port: d.port.name, scheme: d.port.scheme },
                periodSeconds: 5,
              },
              livenessProbe: {
                httpGet: { path: "/healthz", port: d.port.name, scheme: d.port.scheme },
                initialDelaySeconds: 30,
                periodSeconds: 10,
              },
              resources: { requests: { cpu: "100m", memory: "256Mi" } },
              securityContext: restrictedContainer(true),
              volumeMounts: d.secrets.map((s) => ({ name: s.name, mountPath: s.dir, readOnly: true })),
            },
          ],
          volumes: d.secrets.map((s) => ({ name: s.name, secret: { secretName: s.name } })),
        },
      },
    },
  } as KubernetesObject;
}

/** The environment every service shares: the federation's name and its Kafka. */
const commonEnv = (plan: InitPlan, names: HostedNames) => ({
  KUBEFED_FEDERATION_NAME: plan.name,
  KAFKA_BROKERS: kafkaBrokersOf(plan, names),
});

/** The ingest's environment and arguments; the unit test loads them through libs/config. */
export function ingestEnv(plan: InitPlan, names: HostedNames): Record<string, string> {
  return {
    ...commonEnv(plan, names),
    INGEST_SECURE_PORT: String(INGEST_PORT),
    INGEST_TLS_CERT_FILE: `${TLS_DIR}/tls.crt`,
    INGEST_TLS_KEY_FILE: `${TLS_DIR}/tls.key`,
    ...(plan.auth.token ? { INGEST_TOKEN_AUTH_FILE: `${AUTH_DIR}/token/token-auth.csv` } : {}),
    ...(plan.auth.basic ? { INGEST_BASIC_AUTH_FILE: `${AUTH_DIR}/basic/basic-auth.csv` } : {}),
    INGEST_SECRETS_KEY_FILE: `${KEYRING_DIR}/keys.json`,
  };
}

export function propagatorEnv(plan: InitPlan, names: HostedNames): Record<string, string> {
  return {
    ...commonEnv(plan, names),
    PROPAGATOR_METRICS_PORT: String(PROPAGATOR_METRICS_PORT),
    PROPAGATOR_SECRETS_KEY_FILE: `${KEYRING_DIR}/keys.json`,
  };
}

export function dnsSyncEnv(plan: InitPlan, names: HostedNames): Record<string, string> | undefined {
  if (!plan.dns) return undefined;
  return {
    ...commonEnv(plan, names),
    DNS_SYNC_PROVIDER: plan.dns.configProvider,
    DNS_SYNC_ZONE_NAME: plan.dns.zoneName,
    DNS_SYNC_METRICS_PORT: String(DNS_SYNC_METRICS_PORT),
    [DNS_PROVIDER_CONFIG_VARIABLE]: DNS_PROVIDER_CONFIG_FILE,
  };
}

function apiserverService(plan: InitPlan, names: HostedNames): KubernetesObject {
  const address = plan.service.advertiseAddress;
  const metadata = meta(plan.name, names.apiserver, HostComponent.Apiserver);
  return {
    apiVersion: "v1",
    kind: "Service",
    // The advertised address is recorded on the Service rather than set as an externalIP: it is usually a node's
    // or a load balancer's in front of the nodes, and externalIPs refuse loopback and are often denied by policy.
    metadata:
      address !== undefined ? { ...metadata, annotations: { [ADVERTISE_ADDRESS_ANNOTATION]: address } } : metadata,
    spec: {
      type: plan.service.type,
      selector: { [CONTROL_PLANE_LABEL]: plan.name, [COMPONENT_LABEL]: HostComponent.Apiserver },
      ports: [{ name: "https", port: SERVICE_PORT, targetPort: "https", protocol: "TCP" }],
    },
  } as KubernetesObject;
}

/** The ingest's Service: init creates it before the rest, since the serving certificate names its address. */
export const apiserverServiceOf = (plan: InitPlan): KubernetesObject => apiserverService(plan, hostedNames(plan.name));

/** Every object init creates, in the order it creates them (the Namespace is created apart: it may exist). */
/** A pre-created PersistentVolume reserved for the Kafka claim (its claimRef names it). */
export interface ReservedVolume {
  readonly name: string;
  readonly storageClass: string;
}

/**
 * Every object init creates, in the order it creates them. The Namespace is created apart (it may exist and is
 * shared by federations) and so is the ingest's Service, first, because the serving certificate names its address.
 */
export function controlPlaneManifests(plan: InitPlan, m: Material, volume?: ReservedVolume): KubernetesObject[] {
  const fed = plan.name;
  const n = hostedNames(fed);
  const authSecrets = [
    ...(plan.auth.token && m.adminToken !== undefined
      ? [{ name: n.tokenAuth, dir: `${AUTH_DIR}/token`, file: "token-auth.csv", secret: m.adminToken }]
      : []),
    ...(plan.auth.basic && m.adminPassword !== undefined
      ? [{ name: n.basicAuth, dir: `${AUTH_DIR}/basic`, file: "basic-auth.csv", secret: m.adminPassword }]
      : []),
  ];
  const keyring = { name: n.keyring, dir: KEYRING_DIR };
  const dnsEnv = dnsSyncEnv(plan, n);
  return [
    serviceAccount(fed, n.apiserver, HostComponent.Apiserver),
    serviceAccount(fed, n.propagator, HostComponent.Propagator),
    ...(dnsEnv ? [serviceAccount(fed, n.dnsSync, HostComponent.DnsSync)] : []),
    secret(fed, n.ca, { "ca.crt": m.ca.cert, "ca.key": m.ca.key }),
    secret(
      fed,
      n.serving,
      { "tls.crt": m.serving.cert, "tls.key": m.serving.key, "ca.crt": m.ca.cert },
      "kubernetes.io/tls",
    ),
    // kube-apiserver's CSV format: secret,user,uid,"group,..."
    ...authSecrets.map((a) =>
      secret(fed, a.name, { [a.file]: `${a.secret},${ADMIN_USER},${ADMIN_USER},"${ADMIN_GROUPS}"\n` }),
    ),
    secret(fed, n.keyring, { "keys.json": m.keyring }),
    ...(plan.dns ? [secret(fed, n.dnsProviderConfig, { "provider.conf": plan.dns.providerConfig })] : []),
    ...kafkaManifests(plan, n, m, volume),
    deployment({
      fed,
      name: n.apiserver,
      component: HostComponent.Apiserver,
      image: plan.image,
      entry: entryPoint("ingest"),
      args: plan.overrides.args,
      env: ingestEnv(plan, n),
      port: { name: "https", number: INGEST_PORT, scheme: "HTTPS" },
      secrets: [{ name: n.serving, dir: TLS_DIR }, ...authSecrets, keyring],
    }),
    deployment({
      fed,
      name: n.propagator,
      component: HostComponent.Propagator,
      image: plan.image,
      entry: entryPoint("propagator"),
      args: [],
      env: propagatorEnv(plan, n),
      port: { name: "metrics", number: PROPAGATOR_METRICS_PORT, scheme: "HTTP" },
      secrets: [keyring],
    }),
    ...(dnsEnv
      ? [
          deployment({
            fed,
            name: n.dnsSync,
            component: HostComponent.DnsSync,
            image: plan.image,
            entry: entryPoint("dns-sync"),
            args: [],
            env: dnsEnv,
            port: { name: "metrics", number: DNS_SYNC_METRICS_PORT, scheme: "HTTP" },
            secrets: [{ name: n.dnsProviderConfig, dir: DNS_DIR }],
          }),
        ]
      : []),
  ];
}

/** The host namespace, labelled so that delete knows init made it. */
export const namespaceManifest = (): KubernetesObject =>
  ({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: HOST_NAMESPACE, labels: { "app.kubernetes.io/managed-by": "kubefed" } },
  }) as KubernetesObject;

/**
 * Loads the ingest's and propagator's environment (and the overrides) through libs/config, as the containers
 * will: a value they would refuse at start (`--apiserver-arg-overrides "--anonymous-auth=maybe"`, a malformed
 * --kafka-brokers) is refused here, before anything is created.
 */
export function checkServiceConfigs(plan: InitPlan): void {
  const n = hostedNames(plan.name);
  const brokers = plan.kafka.kind === "external" ? { kafkaBrokers: plan.kafka.brokers } : {};
  const { KAFKA_BROKERS: _ingestBrokers, ...ingest } = ingestEnv(plan, n);
  const { KAFKA_BROKERS: _propagatorBrokers, ...propagator } = propagatorEnv(plan, n);
  const embedded = plan.kafka.kind === "embedded" ? { KAFKA_BROKERS: kafkaBrokersOf(plan, n) } : {};
  try {
    loadConfig("propagator", { ...propagator, ...embedded }, brokers);
  } catch (e) {
    if (e instanceof ConfigError) throw new InputError(e.problems[0]?.message ?? e.message);
    throw e;
  }
  try {
    loadConfig("ingest", { ...ingest, ...embedded }, plan.overrides.settings);
  } catch (e) {
    if (e instanceof ConfigError)
      throw new InputError(`--apiserver-arg-overrides: ${e.problems[0]?.message ?? e.message}`);
    throw e;
  }
}
