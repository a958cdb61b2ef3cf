import { describe, expect, it } from "vitest";
import { ConfigError, loadDnsSyncConfig } from "./index.ts";

const problemsOf = (load: () => unknown): string[] => {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => p.message);
    throw error;
  }
  throw new Error("expected a ConfigError");
};

const ZONE = { DNS_SYNC_ZONE_NAME: "example.com." };
const RFC2136 = {
  ...ZONE,
  DNS_SYNC_PROVIDER: "rfc2136",
  DNS_SYNC_RFC2136_SERVER: "127.0.0.1:5353",
  DNS_SYNC_TSIG_KEY_NAME: "kubefed-key.",
  DNS_SYNC_TSIG_SECRET_FILE: "/etc/kubefed/tsig.secret",
};

describe("loadDnsSyncConfig", () => {
  it("defaults to CoreDNS via a local etcd under /skydns", () => {
    expect(loadDnsSyncConfig(ZONE)).toEqual({
      federationName: "federation",
      kafka: {
        brokers: ["127.0.0.1:9092"],
        clientId: "kubefed-dns-sync",
        objectsTopicPartitions: 1,
        replicationFactor: 1,
        security: { protocol: "plaintext" },
      },
      logLevel: "info",
      zoneName: "example.com.",
      provider: { kind: "coredns-etcd", etcdEndpoints: ["http://127.0.0.1:2379"], etcdPrefix: "/skydns" },
      metricsPort: 9091,
    });
  });

  it("reads the coredns-etcd settings, lowercasing the zone", () => {
    const config = loadDnsSyncConfig({
      DNS_SYNC_ZONE_NAME: "Fed.Example.COM.",
      DNS_SYNC_ETCD_ENDPOINTS: "http://etcd-0:2379,https://etcd-1:2379",
      DNS_SYNC_ETCD_PREFIX: "/dns/skydns",
      DNS_SYNC_METRICS_PORT: "19091",
    });
    expect(config.zoneName).toBe("fed.example.com.");
    expect(config.provider).toEqual({
      kind: "coredns-etcd",
      etcdEndpoints: ["http://etcd-0:2379", "https://etcd-1:2379"],
      etcdPrefix: "/dns/skydns",
    });
    expect(config.metricsPort).toBe(19091);
  });

  it("reads the rfc2136 settings with TSIG, port 53 and hmac-sha256 by default", () => {
    expect(loadDnsSyncConfig(RFC2136).provider).toEqual({
      kind: "rfc2136",
      server: { host: "127.0.0.1", port: 5353 },
      tsig: { keyName: "kubefed-key.", algorithm: "hmac-sha256", secretFile: "/etc/kubefed/tsig.secret" },
    });
    const config = loadDnsSyncConfig({
      ...RFC2136,
      DNS_SYNC_RFC2136_SERVER: "ns1.example.com",
      DNS_SYNC_TSIG_ALGORITHM: "hmac-sha512",
    });
    expect(config.provider).toMatchObject({
      server: { host: "ns1.example.com", port: 53 },
      tsig: { algorithm: "hmac-sha512" },
    });
  });

  it("lets flags choose the provider and its settings", () => {
    const config = loadDnsSyncConfig(
      { DNS_SYNC_ZONE_NAME: "env.example." },
      {
        zoneName: "flag.example.",
        provider: "rfc2136",
        rfc2136Server: "[::1]:53",
        tsigKeyName: "k",
        tsigSecretFile: "/s",
      },
    );
    expect(config.zoneName).toBe("flag.example.");
    expect(config.provider).toMatchObject({ kind: "rfc2136", server: { host: "::1", port: 53 } });
  });

  it("requires the zone, and the server and TSIG key for rfc2136", () => {
    expect(problemsOf(() => loadDnsSyncConfig({}))).toEqual([
      "DNS_SYNC_ZONE_NAME is required: The federation's DNS zone, fully qualified with a trailing '.', e.g. example.com.",
    ]);
    expect(problemsOf(() => loadDnsSyncConfig({ ...ZONE, DNS_SYNC_PROVIDER: "rfc2136" }))).toEqual([
      "DNS_SYNC_RFC2136_SERVER is required when DNS_SYNC_PROVIDER is rfc2136",
      "DNS_SYNC_TSIG_KEY_NAME is required when DNS_SYNC_PROVIDER is rfc2136",
      "DNS_SYNC_TSIG_SECRET_FILE is required when DNS_SYNC_PROVIDER is rfc2136",
    ]);
  });

  it("refuses settings of the provider not in use", () => {
    expect(problemsOf(() => loadDnsSyncConfig({ ...ZONE, DNS_SYNC_TSIG_KEY_NAME: "k" }))).toEqual([
      "DNS_SYNC_TSIG_KEY_NAME only applies to another DNS provider, but DNS_SYNC_PROVIDER is coredns-etcd",
    ]);
    expect(problemsOf(() => loadDnsSyncConfig({ ...RFC2136, DNS_SYNC_ETCD_ENDPOINTS: "http://etcd:2379" }))).toEqual([
      "DNS_SYNC_ETCD_ENDPOINTS only applies to another DNS provider, but DNS_SYNC_PROVIDER is rfc2136",
    ]);
  });

  it("names the variable and what is allowed for each invalid value", () => {
    const cases: [Record<string, string>, string][] = [
      [{ DNS_SYNC_PROVIDER: "route53" }, 'DNS_SYNC_PROVIDER="route53": must be one of: coredns-etcd, rfc2136'],
      [
        { DNS_SYNC_ZONE_NAME: "example.com" },
        "DNS_SYNC_ZONE_NAME=\"example.com\": must be a fully qualified DNS name ending with '.'",
      ],
      [
        { DNS_SYNC_ETCD_ENDPOINTS: "etcd:2379" },
        'DNS_SYNC_ETCD_ENDPOINTS="etcd:2379": each comma-separated item must be an http:// or https:// URL',
      ],
      [{ DNS_SYNC_ETCD_PREFIX: "skydns" }, 'DNS_SYNC_ETCD_PREFIX="skydns": must be an absolute key prefix'],
      [{ DNS_SYNC_METRICS_PORT: "-1" }, 'DNS_SYNC_METRICS_PORT="-1": must be a port number'],
      [
        { ...RFC2136, DNS_SYNC_RFC2136_SERVER: "ns1:99999" },
        'DNS_SYNC_RFC2136_SERVER="ns1:99999": must be "host" or "host:port"',
      ],
      [{ ...RFC2136, DNS_SYNC_TSIG_KEY_NAME: "bad key" }, 'DNS_SYNC_TSIG_KEY_NAME="bad key": must be a domain name'],
      [
        { ...RFC2136, DNS_SYNC_TSIG_ALGORITHM: "hmac-md5" },
        'DNS_SYNC_TSIG_ALGORITHM="hmac-md5": must be one of: hmac-sha1, hmac-sha224',
      ],
      [
        { DNS_SYNC_ZONE: "example.com." },
        "DNS_SYNC_ZONE is not a setting of this service (did you mean DNS_SYNC_ZONE_NAME?)",
      ],
    ];
    for (const [env, message] of cases) {
      const problems = problemsOf(() => loadDnsSyncConfig({ ...ZONE, ...env }));
      expect(problems, JSON.stringify(env)).toHaveLength(1);
      expect(problems[0], JSON.stringify(env)).toContain(message);
    }
  });

  it("reports an invalid provider once, without cascading provider-rule noise", () => {
    expect(problemsOf(() => loadDnsSyncConfig({ ...RFC2136, DNS_SYNC_PROVIDER: "bind" }))).toHaveLength(1);
  });
});
