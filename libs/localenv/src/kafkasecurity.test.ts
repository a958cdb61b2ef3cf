import { describe, expect, it } from "vitest";
import { federationAcls, kafkaSecurityEnv, type KafkaSecurityInfo } from "./kafkasecurity.ts";

const acls = federationAcls("fed", {
  ingest: "kubefed-ingest.tail.",
  propagator: "fed-",
  "dns-sync": "kubefed-dns-sync.tail.",
});
const who = (resource: string, name: string, op: string) =>
  acls
    .filter((a) => a.resource === resource && a.name === name && a.operations.some((o) => o === op))
    .map((a) => a.principal);

describe("federationAcls", () => {
  it("lets only the ingest write desired state and only propagators write status", () => {
    expect(who("topic", "fed.objects", "write")).toEqual(["User:ingest"]);
    expect(who("topic", "fed.events", "write")).toEqual(["User:ingest"]);
    expect(who("topic", "fed.status", "write")).toEqual(["User:propagator"]);
  });

  it("lets each service read what it folds, and only the ingest create topics", () => {
    expect(who("topic", "fed.objects", "read")).toEqual(["User:ingest", "User:propagator", "User:dns-sync"]);
    expect(who("topic", "fed.status", "read")).toEqual(["User:ingest", "User:dns-sync"]);
    expect(who("topic", "fed.snapshots", "read")).toEqual(["User:ingest", "User:propagator"]);
    expect(who("topic", "fed.snapshots", "write")).toEqual(["User:ingest"]);
    expect(acls.filter((a) => a.operations.includes("create")).map((a) => a.principal)).toEqual([
      "User:ingest",
      "User:ingest",
      "User:ingest",
      "User:ingest",
    ]);
  });

  it("gives the propagators their cursors' groups, and each service its tails' groups, by prefix", () => {
    const groups = acls.filter((a) => a.resource === "group").map((a) => [a.principal, a.name, a.prefixed]);
    expect(groups).toEqual([
      ["User:ingest", "kubefed-ingest.tail.", true],
      ["User:propagator", "fed.propagator.", true],
      ["User:propagator", "fed-", true],
      ["User:dns-sync", "kubefed-dns-sync.tail.", true],
      ["User:dns-sync", "fed.dns-sync", true],
    ]);
  });
});

describe("kafkaSecurityEnv", () => {
  it("is the services' KAFKA_* settings for one principal, and nothing for plaintext", () => {
    const info: KafkaSecurityInfo = {
      protocol: "sasl_ssl",
      mechanism: "scram-sha-512",
      caFile: "/pki/ca.crt",
      passwordFiles: { admin: "/a", ingest: "/i", propagator: "/p", "dns-sync": "/d" },
    };
    expect(kafkaSecurityEnv(info, "propagator")).toEqual({
      KAFKA_SECURITY_PROTOCOL: "sasl_ssl",
      KAFKA_TLS_CA_FILE: "/pki/ca.crt",
      KAFKA_SASL_MECHANISM: "scram-sha-512",
      KAFKA_SASL_USERNAME: "propagator",
      KAFKA_SASL_PASSWORD_FILE: "/p",
    });
    expect(kafkaSecurityEnv(undefined, "ingest")).toEqual({});
  });
});
