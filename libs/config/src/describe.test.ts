import { describe, expect, it } from "vitest";
import {
  CONFIG_DESCRIPTION,
  SERVICES,
  describeConfig,
  listenPorts,
  loadConfig,
  suggestVariable,
  type ServiceName,
} from "./index.ts";

const REQUIRED_FOR_LOAD: Record<ServiceName, Record<string, string>> = {
  ingest: {},
  propagator: {},
  "dns-sync": { DNS_SYNC_ZONE_NAME: "example.com.", DNS_SYNC_PROVIDER_CONFIG: "/etc/kubefed/coredns.conf" },
};

describe("CONFIG_DESCRIPTION", () => {
  it("lists every service with unique variable names, common settings first", () => {
    for (const service of SERVICES) {
      const names = describeConfig(service).map((d) => d.name);
      expect(new Set(names).size, service).toBe(names.length);
      expect(names.slice(0, 13), service).toEqual([
        "KUBEFED_FEDERATION_NAME",
        "KAFKA_BROKERS",
        "KAFKA_CLIENT_ID",
        "KAFKA_OBJECTS_TOPIC_PARTITIONS",
        "KAFKA_TOPIC_REPLICATION_FACTOR",
        "KAFKA_SECURITY_PROTOCOL",
        "KAFKA_TLS_CA_FILE",
        "KAFKA_TLS_CERT_FILE",
        "KAFKA_TLS_KEY_FILE",
        "KAFKA_SASL_MECHANISM",
        "KAFKA_SASL_USERNAME",
        "KAFKA_SASL_PASSWORD_FILE",
        "LOG_LEVEL",
      ]);
    }
  });

  it("declares the listening ports with their defaults", () => {
    const ports = Object.fromEntries(
      SERVICES.map((s) => [s, CONFIG_DESCRIPTION[s].filter((d) => d.port).map((d) => [d.name, d.default])]),
    );
    expect(ports).toEqual({
      ingest: [["INGEST_SECURE_PORT", "8443"]],
      propagator: [["PROPAGATOR_METRICS_PORT", "9090"]],
      "dns-sync": [["DNS_SYNC_METRICS_PORT", "9091"]],
    });
  });

  it("describes keys, flags, requirement and files consistently", () => {
    const zone = describeConfig("dns-sync").find((d) => d.name === "DNS_SYNC_ZONE_NAME");
    expect(zone).toMatchObject({ key: "zoneName", flag: "--zone-name", required: true, default: undefined });
    // The common KAFKA_* files are checked in kafka-security.test.ts.
    const files = describeConfig("ingest")
      .filter((d) => d.file && !d.name.startsWith("KAFKA_"))
      .map((d) => d.name);
    expect(files).toEqual([
      "INGEST_TLS_CERT_FILE",
      "INGEST_TLS_KEY_FILE",
      "INGEST_TOKEN_AUTH_FILE",
      "INGEST_BASIC_AUTH_FILE",
      "INGEST_CLIENT_CA_FILE",
      "INGEST_SECRETS_KEY_FILE",
      "INGEST_ADMISSION_CONTROL_CONFIG_FILE",
    ]);
    for (const service of SERVICES)
      for (const d of describeConfig(service)) {
        expect(d.required && d.default !== undefined, `${d.name} is required yet has a default`).toBe(false);
        expect(d.description.length, d.name).toBeGreaterThan(10);
      }
  });

  it("has defaults that load: only the required variables need setting", () => {
    for (const service of SERVICES)
      expect(() => loadConfig(service, REQUIRED_FOR_LOAD[service]), service).not.toThrow();
  });
});

describe("listenPorts", () => {
  it("resolves each port variable with env and overrides applied", () => {
    expect(listenPorts("ingest", {})).toEqual({ INGEST_SECURE_PORT: 8443 });
    expect(listenPorts("propagator", { PROPAGATOR_METRICS_PORT: "9100" })).toEqual({ PROPAGATOR_METRICS_PORT: 9100 });
    expect(listenPorts("dns-sync", REQUIRED_FOR_LOAD["dns-sync"], { metricsPort: 0 })).toEqual({
      DNS_SYNC_METRICS_PORT: 0,
    });
  });

  it("refuses to answer for an invalid configuration", () => {
    expect(() => listenPorts("dns-sync", {})).toThrow(/DNS_SYNC_ZONE_NAME is required/);
  });
});

describe("suggestVariable", () => {
  it("finds the closest known variable of the service, or nothing when none is close", () => {
    expect(suggestVariable("propagator", "PROPAGATOR_RESYNC")).toBe("PROPAGATOR_RESYNC_PERIOD");
    expect(suggestVariable("ingest", "KAFKA_BROKER")).toBe("KAFKA_BROKERS");
    expect(suggestVariable("ingest", "HOME")).toBeUndefined();
  });
});
