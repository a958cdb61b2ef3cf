// TLS and SASL for the federation's Kafka clients, and the one-line reasons a secured connection fails at start.
// The files are read here, once, when a client is created: a missing CA or password file fails before any
// connection is tried, and the password never travels through the environment.
import { readFileSync } from "node:fs";
import type { SASLOptions } from "kafkajs";
import type { ConnectionOptions } from "node:tls";
import type { KafkaSecurity } from "./types.ts";

export class KafkaSecurityError extends Error {
  override readonly name = "KafkaSecurityError";
  /** Nothing heals by retrying: a wrong password, CA or protocol stays wrong. */
  readonly retryable = false;
}

function readSecurityFile(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : String((e as Error).message);
    throw new KafkaSecurityError(`cannot read the Kafka ${what} ${path}: ${reason}`);
  }
}

/** kafkajs's `ssl` and `sasl` options for a security setting; reads its files. */
export function connectionSecurity(security: KafkaSecurity | undefined): {
  ssl?: ConnectionOptions;
  sasl?: SASLOptions;
} {
  if (!security || security.protocol === "plaintext") return {};
  const tls = security.tls ?? {};
  const ssl: ConnectionOptions = {
    ...(tls.caFile !== undefined ? { ca: [readSecurityFile(tls.caFile, "CA file (KAFKA_TLS_CA_FILE)")] } : {}),
    ...(tls.certFile !== undefined
      ? { cert: readSecurityFile(tls.certFile, "client certificate (KAFKA_TLS_CERT_FILE)") }
      : {}),
    ...(tls.keyFile !== undefined ? { key: readSecurityFile(tls.keyFile, "client key (KAFKA_TLS_KEY_FILE)") } : {}),
  };
  if (security.protocol === "ssl" || !security.sasl) return { ssl };
  const { mechanism, username, passwordFile } = security.sasl;
  // One trailing newline is what `echo` and most secret mounts add; it is not part of the password.
  const password = readSecurityFile(passwordFile, "SASL password file (KAFKA_SASL_PASSWORD_FILE)").replace(
    /\r?\n$/,
    "",
  );
  if (password === "") throw new KafkaSecurityError(`the Kafka SASL password file ${passwordFile} is empty`);
  return { ssl, sasl: { mechanism, username, password } };
}

interface ErrorBag {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  type?: unknown;
  cause?: unknown;
}

/** The error and its causes, outermost first (kafkajs wraps the socket's error when it gives up retrying). */
function chain(err: unknown): ErrorBag[] {
  const out: ErrorBag[] = [];
  for (let e = err; typeof e === "object" && e !== null && out.length < 8; e = (e as ErrorBag).cause) {
    out.push(e as ErrorBag);
  }
  return out;
}

const TLS_TRUST_CODES = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_GET_ISSUER_CERT",
  "CERT_SIGNATURE_FAILURE",
]);

/**
 * Why a connection made with `security` failed, in one line that says what to fix, or undefined when the failure
 * is not about security (the broker is down, a timeout under load): those keep kafkajs's own error.
 */
export function explainSecurityFailure(
  err: unknown,
  security: KafkaSecurity | undefined,
  brokers: readonly string[],
): string | undefined {
  const errors = chain(err);
  const where = `Kafka at ${brokers.join(",")}`;
  const protocol = security?.protocol ?? "plaintext";
  const has = (test: (e: ErrorBag) => boolean) => errors.some(test);
  const text = errors.map((e) => String(e.message ?? "")).join(" | ");
  if (has((e) => e.name === "KafkaJSSASLAuthenticationError")) {
    const user = security?.sasl?.username ?? "";
    return `${where} refused the SASL credentials of user "${user}" (${security?.sasl?.mechanism ?? "SASL"}): wrong username or password (KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD_FILE)`;
  }
  const code = errors.map((e) => e.code).find((c): c is string => typeof c === "string");
  if (code !== undefined && TLS_TRUST_CODES.has(code)) {
    return `${where} presented a certificate that is not signed by a trusted CA (${code}): set KAFKA_TLS_CA_FILE to the CA that signed the brokers' certificates`;
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    return `${where} presented a certificate for another name (${text.split(" | ")[0]}): connect by a name or address the certificate holds`;
  }
  if (protocol !== "plaintext") {
    // A plaintext listener reads the TLS ClientHello as a malformed request and drops the connection before the
    // handshake ends, or answers with bytes that are not TLS.
    if (/before secure TLS connection was established|wrong version number|packet length too long|EPROTO/i.test(text)) {
      return `${where} does not speak TLS: is KAFKA_SECURITY_PROTOCOL=${protocol} right for this listener, or is it a plaintext one?`;
    }
  }
  // A SASL listener drops a client that sends anything but the SASL handshake; a TLS one, a client without TLS.
  if (protocol !== "sasl_ssl" && has((e) => e.name === "KafkaJSConnectionClosedError" || e.code === "ECONNRESET")) {
    const wants = protocol === "plaintext" ? "TLS or SASL_SSL" : "SASL_SSL";
    return `${where} closed the connection: if that listener is ${wants}, set KAFKA_SECURITY_PROTOCOL (now ${protocol}) and its settings`;
  }
  return undefined;
}
