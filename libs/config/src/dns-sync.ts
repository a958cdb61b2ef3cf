// Configuration of dns-sync: keeps the federation's DNS zone converged through CoreDNS-via-etcd or RFC 2136.
import {
  commonConfig,
  commonVariables,
  loadService,
  type CommonConfig,
  type CommonSettings,
  type ServiceDefinition,
} from "./common.ts";
import {
  domainName,
  etcdPrefix,
  hostPort,
  integer,
  listenPort,
  oneOf,
  text,
  zoneName,
  type HostPort,
  type Parser,
} from "./parse.ts";
import type { ConfigProblem, Env, Overrides, Resolution } from "./spec.ts";

/** The `--dns-provider` names of the original federation that this one serves. */
export const DNS_PROVIDERS = ["coredns", "rfc2136"] as const;
export type DnsProviderName = (typeof DNS_PROVIDERS)[number];
/** Providers of the original that are not built yet: refused with a line that says so, not as a typo. */
export const UNSUPPORTED_DNS_PROVIDERS = ["aws-route53", "route53", "google-clouddns"] as const;

const providerName: Parser<DnsProviderName> = (raw) => {
  if ((UNSUPPORTED_DNS_PROVIDERS as readonly string[]).includes(raw))
    return { ok: false, allowed: `the ${raw} provider is not supported yet; use one of: ${DNS_PROVIDERS.join(", ")}` };
  return oneOf(DNS_PROVIDERS)(raw);
};

// The HMAC algorithms BIND 9 and Knot both accept; hmac-md5 is left out on purpose (broken hash).
export const TSIG_ALGORITHMS = ["hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512"] as const;
export type TsigAlgorithm = (typeof TSIG_ALGORITHMS)[number];

export interface DnsSyncSettings extends CommonSettings {
  readonly provider: DnsProviderName;
  readonly zoneName: string;
  readonly providerConfig?: string;
  readonly etcdPrefix: string;
  readonly recordTtl: number;
  readonly batchSize: number;
  readonly rfc2136Server?: HostPort;
  readonly tsigKeyName?: string;
  readonly tsigAlgorithm: TsigAlgorithm;
  readonly tsigSecretFile?: string;
  readonly metricsPort: number;
}

export type DnsProviderConfig =
  | {
      readonly kind: "coredns";
      /**
       * The provider config file in the original's format (`[Global]`, `etcd-endpoints = ...`, `zones = ...`):
       * read by the service and parsed with `parseCorednsProviderConfig`.
       */
      readonly configFile: string;
      /** SkyDNS key prefix; must equal the `path` of CoreDNS's etcd plugin. */
      readonly etcdPrefix: string;
    }
  | {
      readonly kind: "rfc2136";
      readonly server: HostPort;
      readonly tsig: {
        readonly keyName: string;
        readonly algorithm: TsigAlgorithm;
        /** File holding the base64 TSIG secret, so it never sits in the environment. */
        readonly secretFile: string;
      };
    };

export interface DnsSyncConfig extends CommonConfig {
  /** Fully qualified, lowercase, with the trailing '.'. */
  readonly zoneName: string;
  readonly provider: DnsProviderConfig;
  /** TTL of every record dns-sync writes, in seconds. */
  readonly recordTtl: number;
  /** Record-set changes per provider call. */
  readonly batchSize: number;
  /** Serves /metrics, /healthz and /readyz. */
  readonly metricsPort: number;
}

const ETCD_KEYS = ["providerConfig", "etcdPrefix"] as const;
const RFC2136_KEYS = ["rfc2136Server", "tsigKeyName", "tsigAlgorithm", "tsigSecretFile"] as const;

function checkProvider(r: Resolution<DnsSyncSettings>): ConfigProblem[] {
  const provider = r.values.provider;
  if (provider === undefined) return []; // already reported as invalid
  const problems: ConfigProblem[] = [];
  // A setting of the other provider is almost always a half-finished switch of provider: say so rather than ignore it.
  const foreign = provider === "rfc2136" ? ETCD_KEYS : RFC2136_KEYS;
  for (const key of foreign) {
    if (r.explicit.has(key))
      problems.push({
        variable: r.name(key),
        message: `${r.label(key)} only applies to another DNS provider, but ${r.label("provider")} is ${provider}`,
      });
  }
  if (provider === "coredns" && !r.explicit.has("providerConfig"))
    problems.push({
      variable: r.name("providerConfig"),
      message: `${r.label("providerConfig")} is required when ${r.label("provider")} is coredns: a file with [Global], etcd-endpoints = ... and zones = ...`,
    });
  if (provider === "rfc2136") {
    const required = ["rfc2136Server", "tsigKeyName", "tsigSecretFile"] as const;
    for (const key of required) {
      if (!r.explicit.has(key))
        problems.push({
          variable: r.name(key),
          message: `${r.label(key)} is required when ${r.label("provider")} is rfc2136`,
        });
    }
  }
  return problems;
}

function providerConfig(s: DnsSyncSettings): DnsProviderConfig {
  if (s.provider === "coredns") {
    if (s.providerConfig === undefined) throw new Error("unreachable: the coredns provider config was checked");
    return { kind: "coredns", configFile: s.providerConfig, etcdPrefix: s.etcdPrefix };
  }
  // checkProvider guarantees these for rfc2136; the guard keeps the types honest without a cast.
  if (s.rfc2136Server === undefined || s.tsigKeyName === undefined || s.tsigSecretFile === undefined)
    throw new Error("unreachable: rfc2136 settings were checked");
  return {
    kind: "rfc2136",
    server: s.rfc2136Server,
    tsig: { keyName: s.tsigKeyName, algorithm: s.tsigAlgorithm, secretFile: s.tsigSecretFile },
  };
}

export const dnsSyncDefinition: ServiceDefinition<DnsSyncSettings, DnsSyncConfig> = {
  service: "dns-sync",
  prefix: "DNS_SYNC_",
  variables: {
    ...commonVariables("dns-sync"),
    provider: {
      env: "DNS_SYNC_PROVIDER",
      description: `DNS provider: ${DNS_PROVIDERS.join(" or ")}.`,
      default: "coredns",
      parse: providerName,
    },
    zoneName: {
      env: "DNS_SYNC_ZONE_NAME",
      description: "The federation's DNS zone, fully qualified with a trailing '.', e.g. example.com.",
      required: true,
      parse: zoneName,
    },
    providerConfig: {
      env: "DNS_SYNC_PROVIDER_CONFIG",
      description:
        "coredns: provider config file, as --dns-provider-config of the original: [Global], etcd-endpoints = http://etcd:2379, zones = example.com.",
      file: true,
      parse: text("must be a file path"),
    },
    etcdPrefix: {
      env: "DNS_SYNC_ETCD_PREFIX",
      description: "coredns: SkyDNS key prefix, the `path` of CoreDNS's etcd plugin.",
      default: "/skydns",
      parse: etcdPrefix,
    },
    rfc2136Server: {
      env: "DNS_SYNC_RFC2136_SERVER",
      description: "rfc2136: primary name server accepting dynamic updates, host[:port] (port 53 by default).",
      parse: hostPort(53),
    },
    tsigKeyName: {
      env: "DNS_SYNC_TSIG_KEY_NAME",
      description: "rfc2136: TSIG key name as configured in the name server.",
      parse: domainName,
    },
    tsigAlgorithm: {
      env: "DNS_SYNC_TSIG_ALGORITHM",
      description: `rfc2136: TSIG algorithm: ${TSIG_ALGORITHMS.join(", ")}.`,
      default: "hmac-sha256",
      parse: oneOf(TSIG_ALGORITHMS),
    },
    tsigSecretFile: {
      env: "DNS_SYNC_TSIG_SECRET_FILE",
      description: "rfc2136: file holding the base64 TSIG secret.",
      file: true,
      parse: text("must be a file path"),
    },
    recordTtl: {
      env: "DNS_SYNC_RECORD_TTL",
      description: "TTL in seconds of the records dns-sync writes.",
      default: "30",
      parse: integer(1, 86400),
    },
    batchSize: {
      env: "DNS_SYNC_BATCH_SIZE",
      description: "Record-set changes sent to the DNS provider per call.",
      default: "100",
      parse: integer(1, 10000),
    },
    metricsPort: {
      env: "DNS_SYNC_METRICS_PORT",
      description: "HTTP port for /metrics, /healthz and /readyz.",
      default: "9091",
      port: true,
      parse: listenPort,
    },
  },
  check: checkProvider,
  build: (s) => ({
    ...commonConfig(s),
    zoneName: s.zoneName,
    provider: providerConfig(s),
    recordTtl: s.recordTtl,
    batchSize: s.batchSize,
    metricsPort: s.metricsPort,
  }),
};

/** Loads dns-sync's configuration; throws ConfigError listing every problem. */
export const loadDnsSyncConfig = (env: Env, overrides: Overrides<DnsSyncSettings> = {}): DnsSyncConfig =>
  loadService(dnsSyncDefinition, env, overrides).config;
