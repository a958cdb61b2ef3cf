// Kafka as an authenticated boundary in the local environment: a SASL_SSL listener with SCRAM-SHA-512 principals
// created when the storage is formatted, the StandardAuthorizer, and the ACLs of each federation.
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AclGrant, KafkaSecurity } from "@kubefed/kafka";
import { dnsSyncGroup, objectsTopic, propagatorGroup, snapshotsTopic, statusTopic, eventsTopic } from "@kubefed/names";
import type { Pki } from "./pki.ts";

/** The principals of the federation's Kafka: one per service, and an admin (super user) for tooling. */
export const KAFKA_PRINCIPALS = ["admin", "ingest", "propagator", "dns-sync"] as const;
export type KafkaPrincipal = (typeof KAFKA_PRINCIPALS)[number];

/** What a client needs to reach a SASL_SSL Kafka of the environment (plain data: tests receive it). */
export interface KafkaSecurityInfo {
  readonly protocol: "sasl_ssl";
  readonly mechanism: "scram-sha-512";
  /** The CA that signed the broker's certificate. */
  readonly caFile: string;
  /** Password file of each principal (mode 0600). */
  readonly passwordFiles: Readonly<Record<KafkaPrincipal, string>>;
}

/** The broker's own identity on its controller listener (mTLS); a super user like admin. */
const BROKER_CN = "kafka-broker";

export interface SecureKafkaFiles {
  info: KafkaSecurityInfo;
  /** server.properties lines for the listeners, TLS, SASL and the authorizer. */
  properties: string[];
  /** Arguments of `kafka-storage format` that create the SCRAM credentials. */
  formatArgs: string[];
}

/** Certificates, passwords and broker settings of a SASL_SSL Kafka, written under `dir`. */
export function secureKafkaFiles(pki: Pki, dir: string, port: number, controllerPort: number): SecureKafkaFiles {
  const creds = join(dir, "credentials");
  mkdirSync(creds, { recursive: true, mode: 0o700 });
  const serving = pki.issue(BROKER_CN, { cn: BROKER_CN, sans: ["IP:127.0.0.1", "DNS:localhost"] });
  // Kafka's PEM key store is one file with the private key (PKCS#8, as openssl genpkey writes it) and the chain.
  const keystore = join(dir, "keystore.pem");
  writeFileSync(keystore, `${readFileSync(serving.key, "utf8")}${readFileSync(serving.cert, "utf8")}`, {
    mode: 0o600,
  });
  const passwords = {} as Record<KafkaPrincipal, string>;
  const passwordFiles = {} as Record<KafkaPrincipal, string>;
  for (const p of KAFKA_PRINCIPALS) {
    passwords[p] = randomBytes(18).toString("hex");
    passwordFiles[p] = join(creds, `${p}.password`);
    writeFileSync(passwordFiles[p], `${passwords[p]}\n`, { mode: 0o600 });
    chmodSync(passwordFiles[p], 0o600);
  }
  const properties = [
    `listeners=SASL_SSL://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=SASL_SSL://127.0.0.1:${port}`,
    "controller.listener.names=CONTROLLER",
    "inter.broker.listener.name=SASL_SSL",
    // SCRAM credentials live in the metadata log, which a controller cannot read before it authenticates anyone:
    // its listener takes client certificates of the environment's CA instead.
    "listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:SSL",
    "listener.name.controller.ssl.client.auth=required",
    "sasl.enabled.mechanisms=SCRAM-SHA-512",
    "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512",
    `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${passwords.admin}";`,
    "ssl.keystore.type=PEM",
    `ssl.keystore.location=${keystore}`,
    "ssl.truststore.type=PEM",
    `ssl.truststore.location=${pki.ca.cert}`,
    "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
    `super.users=User:admin;User:CN=${BROKER_CN}`,
    "allow.everyone.if.no.acl.found=false",
  ];
  const formatArgs = KAFKA_PRINCIPALS.flatMap((p) => [
    "--add-scram",
    `SCRAM-SHA-512=[name=${p},password=${passwords[p]}]`,
  ]);
  return {
    info: { protocol: "sasl_ssl", mechanism: "scram-sha-512", caFile: pki.ca.cert, passwordFiles },
    properties,
    formatArgs,
  };
}

/** A client's security settings as one principal of a SASL_SSL Kafka of the environment; plaintext: undefined. */
export function kafkaSecurityAs(
  security: KafkaSecurityInfo | undefined,
  principal: KafkaPrincipal,
): KafkaSecurity | undefined {
  if (!security) return undefined;
  return {
    protocol: security.protocol,
    tls: { caFile: security.caFile },
    sasl: { mechanism: security.mechanism, username: principal, passwordFile: security.passwordFiles[principal] },
  };
}

/** The same settings as the services' environment variables (libs/config). */
export function kafkaSecurityEnv(
  security: KafkaSecurityInfo | undefined,
  principal: KafkaPrincipal,
): Record<string, string> {
  if (!security) return {};
  return {
    KAFKA_SECURITY_PROTOCOL: security.protocol,
    KAFKA_TLS_CA_FILE: security.caFile,
    KAFKA_SASL_MECHANISM: security.mechanism,
    KAFKA_SASL_USERNAME: principal,
    KAFKA_SASL_PASSWORD_FILE: security.passwordFiles[principal],
  };
}

/**
 * The ACLs of one federation: only the ingest writes `<fed>.objects` (and `<fed>.events`), only propagators write
 * `<fed>.status`; each reads what it folds. Groups: the propagators' cursors (`<fed>.propagator.<cluster>`), and
 * dns-sync's `<fed>.dns-sync` (its active replica holds the partition), the groups kafkajs needs for tails, never committed, named `<client id>.tail.…` (`tailGroups`: each service's
 * prefix).
 */
export function federationAcls(
  fed: string,
  tailGroups: Readonly<Record<Exclude<KafkaPrincipal, "admin">, string>>,
): AclGrant[] {
  const topic = (p: KafkaPrincipal, name: string, operations: AclGrant["operations"]): AclGrant => ({
    principal: `User:${p}`,
    resource: "topic",
    name,
    operations,
  });
  const groups = (p: KafkaPrincipal, prefix: string): AclGrant => ({
    principal: `User:${p}`,
    resource: "group",
    name: prefix,
    prefixed: true,
    operations: ["read"],
  });
  return [
    // The ingest creates the topics at start and folds both; it alone appends desired state.
    topic("ingest", objectsTopic(fed), ["create", "describe", "read", "write"]),
    topic("ingest", statusTopic(fed), ["create", "describe", "read"]),
    topic("ingest", eventsTopic(fed), ["create", "describe", "write"]),
    // The ingest writes snapshots of the folded state; the propagators start from them.
    topic("ingest", snapshotsTopic(fed), ["create", "describe", "read", "write"]),
    groups("ingest", tailGroups.ingest),
    topic("propagator", objectsTopic(fed), ["describe", "read"]),
    topic("propagator", statusTopic(fed), ["describe", "write"]),
    topic("propagator", snapshotsTopic(fed), ["describe", "read"]),
    groups("propagator", propagatorGroup(fed, "")),
    groups("propagator", tailGroups.propagator),
    topic("dns-sync", objectsTopic(fed), ["describe", "read"]),
    topic("dns-sync", statusTopic(fed), ["describe", "read"]),
    groups("dns-sync", tailGroups["dns-sync"]),
    // The group whose one member (the partition holder) is the replica that writes the zone.
    groups("dns-sync", dnsSyncGroup(fed)),
  ];
}
