// The flags of `kubefed init` checked and turned into a plan, before anything touches the host cluster. Pure but
// for the one file it reads, through the reader it is given, so every bad input is found here and named in one line.
import { isIP } from "node:net";
import { DNS_PROVIDERS } from "@kubefed/config";
import { HOSTED_FEDERATION_NAME_MAX, isDNS1123Subdomain, validateFederationName } from "@kubefed/names";
import { InputError } from "../output.ts";
import { parseArgOverrides, type ArgOverrides } from "./overrides.ts";

/** The image the Dockerfile builds (all three services); `--image` replaces it. */
export const DEFAULT_IMAGE = "kubefed/kubefed:0.1.0";
/** Same Kafka as the local environment and docker-compose.yml (env/kafka/pom.xml). */
export const DEFAULT_KAFKA_IMAGE = "apache/kafka:3.9.1";

/** The original's provider names, as the flag takes them. */
export const INIT_DNS_PROVIDERS = ["coredns", "rfc2136"] as const;
export type InitDnsProvider = (typeof INIT_DNS_PROVIDERS)[number];

export const SERVICE_TYPES = ["LoadBalancer", "NodePort"] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];

export interface InitOptions {
  readonly name: string;
  readonly hostClusterContext: string;
  readonly kubeconfig?: string;
  readonly dnsProvider?: string;
  readonly dnsZoneName?: string;
  readonly dnsProviderConfig?: string;
  readonly apiserverEnableBasicAuth: boolean;
  readonly apiserverEnableTokenAuth: boolean;
  readonly apiserverArgOverrides?: string;
  readonly apiServerServiceType: string;
  readonly apiServerAdvertiseAddress?: string;
  readonly kafkaBrokers?: string;
  readonly kafkaPersistentStorage: boolean;
  readonly kafkaPvCapacity: string;
  readonly kafkaPvStorageClass?: string;
  readonly image: string;
  readonly kafkaImage: string;
  readonly dryRun: boolean;
  readonly wait: boolean;
  /** Seconds to wait for the load balancer's address and for readiness. */
  readonly timeout: number;
}

export interface DnsPlan {
  readonly provider: InitDnsProvider;
  /** dns-sync's DNS_SYNC_PROVIDER value for this provider (libs/config's name of it). */
  readonly configProvider: string;
  readonly zoneName: string;
  /** The provider config file's text, passed to dns-sync as a Secret. */
  readonly providerConfig: string;
}

export type KafkaPlan =
  | { readonly kind: "external"; readonly brokers: string }
  | {
      readonly kind: "embedded";
      readonly image: string;
      /** Absent: an emptyDir (--kafka-persistent-storage=false), so the log goes with the pod. */
      readonly storage: { readonly capacity: string; readonly storageClass: string | undefined } | undefined;
    };

export interface InitPlan {
  readonly name: string;
  readonly image: string;
  readonly auth: { readonly token: boolean; readonly basic: boolean };
  readonly overrides: ArgOverrides;
  readonly service: { readonly type: ServiceType; readonly advertiseAddress: string | undefined };
  readonly kafka: KafkaPlan;
  readonly dns: DnsPlan | undefined;
}

const QUANTITY = /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;
const MAX_SECRET_BYTES = 1024 * 1024;

/** The libs/config provider name of a flag's provider ("coredns" is CoreDNS through its etcd plugin). */
export function configProviderName(provider: InitDnsProvider): string {
  const known: readonly string[] = DNS_PROVIDERS;
  const match = known.find((p) => p === provider) ?? known.find((p) => p.startsWith(`${provider}-`));
  if (match === undefined) throw new Error(`dns-sync's configuration knows no provider for ${provider}`);
  return match;
}

function planDns(o: InitOptions, readFile: (path: string) => string): DnsPlan | undefined {
  if (o.dnsProvider === undefined) {
    const stray = o.dnsZoneName !== undefined ? "--dns-zone-name" : o.dnsProviderConfig ? "--dns-provider-config" : "";
    if (stray !== "") throw new InputError(`${stray} needs --dns-provider (${INIT_DNS_PROVIDERS.join(" or ")})`);
    return undefined;
  }
  const provider = INIT_DNS_PROVIDERS.find((p) => p === o.dnsProvider);
  if (provider === undefined)
    throw new InputError(`--dns-provider "${o.dnsProvider}" is not supported: use ${INIT_DNS_PROVIDERS.join(" or ")}`);
  const zone = o.dnsZoneName;
  if (zone === undefined) throw new InputError(`--dns-zone-name is required with --dns-provider, e.g. "example.com."`);
  if (!zone.endsWith(".") || zone === ".")
    throw new InputError(`--dns-zone-name "${zone}" must end with '.', e.g. "${zone.replace(/\.*$/, "")}."`);
  const zoneErrors = isDNS1123Subdomain(zone.slice(0, -1).toLowerCase());
  if (zoneErrors.length > 0) throw new InputError(`--dns-zone-name "${zone}": ${zoneErrors[0]}`);
  const file = o.dnsProviderConfig;
  if (file === undefined)
    throw new InputError(`--dns-provider-config is required with --dns-provider ${provider} (its [Global] section)`);
  let text: string;
  try {
    text = readFile(file);
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new InputError(
      `--dns-provider-config ${file}: ${code === "ENOENT" ? "no such file" : err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (text.trim() === "") throw new InputError(`--dns-provider-config ${file} is empty`);
  if (Buffer.byteLength(text) > MAX_SECRET_BYTES)
    throw new InputError(`--dns-provider-config ${file} is larger than a Secret can hold (1 MiB)`);
  return { provider, configProvider: configProviderName(provider), zoneName: zone.toLowerCase(), providerConfig: text };
}

function planKafka(o: InitOptions, defaults: { pvCapacity: string }): KafkaPlan {
  if (o.kafkaBrokers !== undefined) {
    const storageFlag =
      o.kafkaPvStorageClass !== undefined
        ? "--kafka-pv-storage-class"
        : o.kafkaPvCapacity !== defaults.pvCapacity
          ? "--kafka-pv-capacity"
          : !o.kafkaPersistentStorage
            ? "--kafka-persistent-storage"
            : "";
    if (storageFlag !== "")
      throw new InputError(`${storageFlag} applies to the embedded Kafka, not to --kafka-brokers`);
    return { kind: "external", brokers: o.kafkaBrokers };
  }
  if (!QUANTITY.test(o.kafkaPvCapacity))
    throw new InputError(`--kafka-pv-capacity "${o.kafkaPvCapacity}" is not a quantity, e.g. 10Gi`);
  if (!o.kafkaPersistentStorage && o.kafkaPvStorageClass !== undefined)
    throw new InputError("--kafka-pv-storage-class needs --kafka-persistent-storage=true");
  return {
    kind: "embedded",
    image: o.kafkaImage,
    storage: o.kafkaPersistentStorage
      ? { capacity: o.kafkaPvCapacity, storageClass: o.kafkaPvStorageClass }
      : undefined,
  };
}

/** Checks every flag that needs no cluster; throws InputError with one line naming the first bad one. */
export function planInit(
  o: InitOptions,
  readFile: (path: string) => string,
  defaults = { pvCapacity: "10Gi" },
): InitPlan {
  const nameErrors = validateFederationName(o.name);
  if (nameErrors.length > 0) throw new InputError(`invalid federation name "${o.name}": ${nameErrors[0]}`);
  if (o.name.length > HOSTED_FEDERATION_NAME_MAX)
    throw new InputError(
      `invalid federation name "${o.name}": at most ${HOSTED_FEDERATION_NAME_MAX} characters (it prefixes the Service and StatefulSet names)`,
    );
  const type = SERVICE_TYPES.find((t) => t === o.apiServerServiceType);
  if (type === undefined)
    throw new InputError(
      `--api-server-service-type "${o.apiServerServiceType}" is not supported: use ${SERVICE_TYPES.join(" or ")}`,
    );
  const address = o.apiServerAdvertiseAddress;
  if (address !== undefined) {
    if (type !== "NodePort")
      throw new InputError("--api-server-advertise-address needs --api-server-service-type=NodePort");
    if (isIP(address) === 0) throw new InputError(`--api-server-advertise-address "${address}" is not an IP address`);
  }
  // The ingest has no other way yet to authenticate the admin whose credentials init writes to the kubeconfig.
  if (!o.apiserverEnableTokenAuth && !o.apiserverEnableBasicAuth)
    throw new InputError(
      "enable --apiserver-enable-token-auth or --apiserver-enable-basic-auth: the admin's kubeconfig credentials need one",
    );
  if (o.image.trim() === "" || /\s/.test(o.image)) throw new InputError(`--image "${o.image}" is not an image name`);
  if (!Number.isFinite(o.timeout) || o.timeout <= 0)
    throw new InputError("--timeout must be a positive number of seconds");
  return {
    name: o.name,
    image: o.image,
    auth: { token: o.apiserverEnableTokenAuth, basic: o.apiserverEnableBasicAuth },
    overrides: parseArgOverrides(o.apiserverArgOverrides),
    service: { type, advertiseAddress: address },
    kafka: planKafka(o, defaults),
    dns: planDns(o, readFile),
  };
}
