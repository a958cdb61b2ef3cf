import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { connectionSecurity, explainSecurityFailure, KafkaSecurityError } from "./security.ts";
import type { KafkaSecurity } from "./types.ts";

const dir = mkdtempSync(join(tmpdir(), "kafka-security-"));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const ca = file("ca.crt", "-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n");
const password = file("password", "s3cret\n");
const sasl: KafkaSecurity = {
  protocol: "sasl_ssl",
  tls: { caFile: ca },
  sasl: { mechanism: "scram-sha-512", username: "ingest", passwordFile: password },
};
const brokers = ["127.0.0.1:9093"];

describe("connectionSecurity", () => {
  it("is nothing for plaintext", () => {
    expect(connectionSecurity(undefined)).toEqual({});
    expect(connectionSecurity({ protocol: "plaintext" })).toEqual({});
  });

  it("reads the CA, the client certificate and the password from their files (without the trailing newline)", () => {
    const cert = file("tls.crt", "CERT");
    const key = file("tls.key", "KEY");
    expect(connectionSecurity({ ...sasl, tls: { caFile: ca, certFile: cert, keyFile: key } })).toEqual({
      ssl: { ca: ["-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n"], cert: "CERT", key: "KEY" },
      sasl: { mechanism: "scram-sha-512", username: "ingest", password: "s3cret" },
    });
    expect(connectionSecurity({ protocol: "ssl" })).toEqual({ ssl: {} });
  });

  it("fails at once, in one line, for a missing file or an empty password", () => {
    const missing = join(dir, "nope.crt");
    expect(() => connectionSecurity({ ...sasl, tls: { caFile: missing } })).toThrow(
      new KafkaSecurityError(`cannot read the Kafka CA file (KAFKA_TLS_CA_FILE) ${missing}: no such file`),
    );
    const empty = file("empty", "\n");
    expect(() => connectionSecurity({ ...sasl, sasl: { ...sasl.sasl!, passwordFile: empty } })).toThrow(
      `the Kafka SASL password file ${empty} is empty`,
    );
  });
});

// kafkajs's shapes: a connection error carries the socket's code; giving up retrying wraps the last error as cause.
const kafkajsError = (name: string, message: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(message), { name, ...extra });
const retriesExceeded = (cause: Error) => kafkajsError("KafkaJSNumberOfRetriesExceeded", cause.message, { cause });

describe("explainSecurityFailure", () => {
  it("names the user and the settings for refused SASL credentials", () => {
    const err = kafkajsError("KafkaJSSASLAuthenticationError", "SASL SCRAM SHA512 authentication failed: ...");
    expect(explainSecurityFailure(err, sasl, brokers)).toBe(
      'Kafka at 127.0.0.1:9093 refused the SASL credentials of user "ingest" (scram-sha-512): wrong username or password (KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD_FILE)',
    );
  });

  it("points at KAFKA_TLS_CA_FILE when the broker's certificate is not trusted", () => {
    const socket = kafkajsError("KafkaJSConnectionError", "Connection error: unable to verify the first certificate", {
      code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    });
    expect(explainSecurityFailure(retriesExceeded(socket), sasl, brokers)).toMatch(
      /^Kafka at 127\.0\.0\.1:9093 presented a certificate that is not signed by a trusted CA \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\): set KAFKA_TLS_CA_FILE/,
    );
  });

  it("says a broker does not speak TLS when the handshake is cut", () => {
    const socket = kafkajsError(
      "KafkaJSConnectionError",
      "Connection error: Client network socket disconnected before secure TLS connection was established",
      { code: "ECONNRESET" },
    );
    expect(explainSecurityFailure(retriesExceeded(socket), sasl, brokers)).toBe(
      "Kafka at 127.0.0.1:9093 does not speak TLS: is KAFKA_SECURITY_PROTOCOL=sasl_ssl right for this listener, or is it a plaintext one?",
    );
  });

  it("suggests the protocol when a secured listener drops a client that lacks TLS or SASL", () => {
    const closed = kafkajsError("KafkaJSConnectionClosedError", "Closed connection");
    expect(explainSecurityFailure(closed, undefined, brokers)).toMatch(
      /closed the connection: if that listener is TLS or SASL_SSL, set KAFKA_SECURITY_PROTOCOL \(now plaintext\)/,
    );
    expect(explainSecurityFailure(closed, { protocol: "ssl" }, brokers)).toMatch(
      /if that listener is SASL_SSL, set KAFKA_SECURITY_PROTOCOL \(now ssl\)/,
    );
  });

  it("leaves other failures (a broker that is down) to kafkajs's own error", () => {
    const refused = kafkajsError("KafkaJSConnectionError", "Connection error: connect ECONNREFUSED", {
      code: "ECONNREFUSED",
    });
    expect(explainSecurityFailure(retriesExceeded(refused), sasl, brokers)).toBeUndefined();
    expect(explainSecurityFailure(new Error("Connection timeout"), undefined, brokers)).toBeUndefined();
  });
});
