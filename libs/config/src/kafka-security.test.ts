import { describe, expect, it } from "vitest";
import { ConfigError, describeConfig, loadConfig, SERVICES } from "./index.ts";

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig("propagator", env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => p.message);
    throw e;
  }
  throw new Error("expected a ConfigError");
};

const SASL = {
  KAFKA_SECURITY_PROTOCOL: "sasl_ssl",
  KAFKA_TLS_CA_FILE: "/kafka/ca.crt",
  KAFKA_SASL_USERNAME: "propagator",
  KAFKA_SASL_PASSWORD_FILE: "/kafka/password",
};

describe("Kafka security settings (common to every service)", () => {
  it("are read by the same names by every service", () => {
    for (const service of SERVICES) {
      const env =
        service === "dns-sync"
          ? { ...SASL, DNS_SYNC_ZONE_NAME: "example.com.", DNS_SYNC_PROVIDER_CONFIG: "/etc/dns/provider.conf" }
          : SASL;
      expect(loadConfig(service, env).kafka.security, service).toEqual({
        protocol: "sasl_ssl",
        tls: { caFile: "/kafka/ca.crt" },
        sasl: { mechanism: "scram-sha-512", username: "propagator", passwordFile: "/kafka/password" },
      });
    }
  });

  it("take TLS alone, with a client certificate for mTLS, in any case of the protocol name", () => {
    const security = loadConfig("ingest", {
      KAFKA_SECURITY_PROTOCOL: "SSL",
      KAFKA_TLS_CERT_FILE: "/kafka/tls.crt",
      KAFKA_TLS_KEY_FILE: "/kafka/tls.key",
    }).kafka.security;
    expect(security).toEqual({ protocol: "ssl", tls: { certFile: "/kafka/tls.crt", keyFile: "/kafka/tls.key" } });
  });

  it("take SCRAM-SHA-256 too", () => {
    const env = { ...SASL, KAFKA_SASL_MECHANISM: "SCRAM-SHA-256" };
    expect(loadConfig("ingest", env).kafka.security.sasl?.mechanism).toBe("scram-sha-256");
  });

  it("need the username and the password file with sasl_ssl", () => {
    expect(problemsOf({ KAFKA_SECURITY_PROTOCOL: "sasl_ssl" })).toEqual([
      "KAFKA_SASL_USERNAME is required when KAFKA_SECURITY_PROTOCOL=sasl_ssl",
      "KAFKA_SASL_PASSWORD_FILE is required when KAFKA_SECURITY_PROTOCOL=sasl_ssl",
    ]);
  });

  it("refuse settings the protocol would ignore", () => {
    expect(problemsOf({ KAFKA_TLS_CA_FILE: "/ca.crt", KAFKA_SASL_USERNAME: "u" })).toEqual([
      "KAFKA_TLS_CA_FILE is set but KAFKA_SECURITY_PROTOCOL=plaintext does not use TLS (set it to ssl or sasl_ssl)",
      "KAFKA_SASL_USERNAME is set but KAFKA_SECURITY_PROTOCOL=plaintext does not use SASL (set it to sasl_ssl)",
    ]);
    expect(problemsOf({ KAFKA_SECURITY_PROTOCOL: "ssl", KAFKA_SASL_PASSWORD_FILE: "/p" })).toEqual([
      "KAFKA_SASL_PASSWORD_FILE is set but KAFKA_SECURITY_PROTOCOL=ssl does not use SASL (set it to sasl_ssl)",
    ]);
  });

  it("refuse a client certificate without its key, an unknown protocol or mechanism", () => {
    expect(problemsOf({ ...SASL, KAFKA_TLS_CERT_FILE: "/tls.crt" })).toEqual([
      "KAFKA_TLS_KEY_FILE must be set when KAFKA_TLS_CERT_FILE is set (the client certificate and its key)",
    ]);
    expect(problemsOf({ KAFKA_SECURITY_PROTOCOL: "sasl_plaintext" })).toEqual([
      'KAFKA_SECURITY_PROTOCOL="sasl_plaintext": must be one of: plaintext, ssl, sasl_ssl',
    ]);
    expect(problemsOf({ ...SASL, KAFKA_SASL_MECHANISM: "plain" })).toEqual([
      'KAFKA_SASL_MECHANISM="plain": must be one of: scram-sha-512, scram-sha-256',
    ]);
  });

  it("are files to mount, except the protocol, the mechanism and the username", () => {
    const files = describeConfig("propagator").filter((d) => d.name.startsWith("KAFKA_") && d.file);
    expect(files.map((d) => d.name)).toEqual([
      "KAFKA_TLS_CA_FILE",
      "KAFKA_TLS_CERT_FILE",
      "KAFKA_TLS_KEY_FILE",
      "KAFKA_SASL_PASSWORD_FILE",
    ]);
  });

  it("are settable by flags, named in messages as such", () => {
    const security = loadConfig("ingest", {}, { kafkaSecurityProtocol: "ssl", kafkaTlsCaFile: "/ca.crt" }).kafka
      .security;
    expect(security).toEqual({ protocol: "ssl", tls: { caFile: "/ca.crt" } });
  });
});
