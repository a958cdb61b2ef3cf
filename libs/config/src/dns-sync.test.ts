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

const ZONE = { DNS_SYNC_ZONE_NAME: "example.com.", DNS_SYNC_PROVIDER_CONFIG: "/etc/kubefed/coredns.conf" };
const RFC2136 = {
  DNS_SYNC_ZONE_NAME: "example.com.",
  DNS_SYNC_PROVIDER: "rfc2136",
  DNS_SYNC_RFC2136_SERVER: "127.0.0.1:5353",
  DNS_SYNC_TSIG_KEY_NAME: "kubefed-key.",
  DNS_SYNC_TSIG_SECRET_FILE: "/etc/kubefed/tsig.secret",
};

describe("loadDnsSyncConfig", () => {
  it("defaults to CoreDNS via etcd under /skydns, 30 s TTL", () => {
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
      provider: { kind: "coredns", configFile: "/etc/kubefed/coredns.conf", etcdPrefix: "/skydns" },
      recordTtl: 30,
      batchSize: 100,
      metricsPort: 9091,
    });
  });

  it("reads the coredns settings, lowercasing the zone", () => {
    const config = loadDnsSyncConfig({
      DNS_SYNC_ZONE_NAME: "Fed.Example.COM.",
      DNS_SYNC_PROVIDER_CONFIG: "/c.conf",
      DNS_SYNC_ETCD_PREFIX: "/dns/skydns",
      DNS_SYNC_RECORD_TTL: "5",
      DNS_SYNC_METRICS_PORT: "19091",
    });
    expect(config.zoneName).toBe("fed.example.com.");
    expect(config.provider).toEqual({ kind: "coredns", configFile: "/c.conf", etcdPrefix: "/dns/skydns" });
    expect(config.recordTtl).toBe(5);
    expect(config.metricsPort).toBe(19091);
  });

  it("requires the provider config file for coredns", () => {
    expect(problemsOf(() => loadDnsSyncConfig({ DNS_SYNC_ZONE_NAME: "example.com." }))).toEqual([
      "DNS_SYNC_PROVIDER_CONFIG is required when DNS_SYNC_PROVIDER is coredns: a file with [Global], etcd-endpoints = ... and zones = ...",
    ]);
  });

  it("refuses the original's cloud providers as not supported yet", () => {
    for (const provider of ["aws-route53", "google-clouddns"])
      expect(problemsOf(() => loadDnsSyncConfig({ ...ZONE, DNS_SYNC_PROVIDER: provider }))[0]).toContain(
        `the ${provider} provider is not supported yet; use one of: coredns, rfc2136`,
      );
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
    expect(problemsOf(() => loadDnsSyncConfig({ DNS_SYNC_PROVIDER_CONFIG: "/c" }))).toEqual([
      "DNS_SYNC_ZONE_NAME is required: The federation's DNS zone, fully qualified with a trailing '.', e.g. example.com.",
    ]);
    expect(
      problemsOf(() => loadDnsSyncConfig({ DNS_SYNC_ZONE_NAME: "example.com.", DNS_SYNC_PROVIDER: "rfc2136" })),
    ).toEqual([
      "DNS_SYNC_RFC2136_SERVER is required when DNS_SYNC_PROVIDER is rfc2136",
      "DNS_SYNC_TSIG_KEY_NAME is required when DNS_SYNC_PROVIDER is rfc2136",
      "DNS_SYNC_TSIG_SECRET_FILE is required when DNS_SYNC_PROVIDER is rfc2136",
    ]);
  });

  it("refuses settings of the provider not in use", () => {
    expect(problemsOf(() => loadDnsSyncConfig({ ...ZONE, DNS_SYNC_TSIG_KEY_NAME: "k" }))).toEqual([
      "DNS_SYNC_TSIG_KEY_NAME only applies to another DNS provider, but DNS_SYNC_PROVIDER is coredns",
    ]);
    expect(problemsOf(() => loadDnsSyncConfig({ ...RFC2136, DNS_SYNC_PROVIDER_CONFIG: "/c" }))).toEqual([
      "DNS_SYNC_PROVIDER_CONFIG only applies to another DNS provider, but DNS_SYNC_PROVIDER is rfc2136",
    ]);
  });

  it("names the variable and what is allowed for each invalid value", () => {
    const cases: [Record<string, string>, string][] = [
      [{ DNS_SYNC_PROVIDER: "bind" }, 'DNS_SYNC_PROVIDER="bind": must be one of: coredns, rfc2136'],
      [
        { DNS_SYNC_ZONE_NAME: "example.com" },
        "DNS_SYNC_ZONE_NAME=\"example.com\": must be a fully qualified DNS name ending with '.'",
      ],
      [{ DNS_SYNC_RECORD_TTL: "0" }, 'DNS_SYNC_RECORD_TTL="0": must be an integer from 1 to 86400'],
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
      const base = env.DNS_SYNC_PROVIDER === "rfc2136" ? { DNS_SYNC_ZONE_NAME: "example.com." } : ZONE;
      const problems = problemsOf(() => loadDnsSyncConfig({ ...base, ...env }));
      expect(problems, JSON.stringify(env)).toHaveLength(1);
      expect(problems[0], JSON.stringify(env)).toContain(message);
    }
  });

  it("reports an invalid provider once, without cascading provider-rule noise", () => {
    expect(problemsOf(() => loadDnsSyncConfig({ ...RFC2136, DNS_SYNC_PROVIDER: "bind" }))).toHaveLength(1);
  });
});
