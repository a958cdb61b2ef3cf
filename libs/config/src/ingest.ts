// Configuration of the ingest: the Kubernetes-compatible federation API server.
import {
  bothOrNeither,
  commonConfig,
  commonVariables,
  loadService,
  type CommonConfig,
  type CommonSettings,
  type ServiceDefinition,
} from "./common.ts";
import { boolean, byteSize, duration, ipAddress, listenPort, text } from "./parse.ts";
import type { Env, Overrides } from "./spec.ts";

export interface IngestSettings extends CommonSettings {
  readonly bindAddress: string;
  readonly securePort: number;
  readonly tlsCertFile?: string;
  readonly tlsKeyFile?: string;
  readonly tokenAuthFile?: string;
  readonly basicAuthFile?: string;
  readonly clientCaFile?: string;
  readonly anonymousAuth: boolean;
  readonly secretsKeyFile?: string;
  readonly maxRequestBodyBytes: number;
  readonly maxWatchTimeout: number;
}

export interface IngestConfig extends CommonConfig {
  readonly bindAddress: string;
  /** HTTPS port for the API and, like kube-apiserver, /metrics, /healthz, /livez and /readyz. */
  readonly securePort: number;
  /** Absent: the ingest generates a self-signed certificate at start. */
  readonly tls: { readonly certFile: string; readonly keyFile: string } | undefined;
  readonly auth: {
    /** kube-apiserver --token-auth-file format: token,user,uid,"group1,group2". */
    readonly tokenFile: string | undefined;
    /** kube-apiserver --basic-auth-file format: password,user,uid,"group1,group2". */
    readonly basicFile: string | undefined;
    /** kube-apiserver --client-ca-file: PEM CAs whose client certificates authenticate (CN user, O groups). */
    readonly clientCaFile: string | undefined;
    readonly anonymous: boolean;
  };
  /** AES-256-GCM keyring (JSON) for Secret payloads; absent: the ingest must refuse Secret writes. */
  readonly secretsKeyFile: string | undefined;
  /** Open Policy Agent base URL for policy placement; absent: no policy admission step. */
  readonly maxRequestBodyBytes: number;
  readonly maxWatchTimeoutMs: number;
}

const file = text("must be a file path");

export const ingestDefinition: ServiceDefinition<IngestSettings, IngestConfig> = {
  service: "ingest",
  prefix: "INGEST_",
  variables: {
    ...commonVariables("ingest"),
    bindAddress: {
      env: "INGEST_BIND_ADDRESS",
      description: "Address the HTTPS server listens on.",
      default: "0.0.0.0",
      parse: ipAddress,
    },
    securePort: {
      env: "INGEST_SECURE_PORT",
      description: "HTTPS port of the federation API; also serves /metrics and health endpoints.",
      default: "8443",
      port: true,
      parse: listenPort,
    },
    tlsCertFile: {
      env: "INGEST_TLS_CERT_FILE",
      description: "PEM serving certificate; with INGEST_TLS_KEY_FILE. Unset: self-signed certificate.",
      file: true,
      parse: file,
    },
    tlsKeyFile: {
      env: "INGEST_TLS_KEY_FILE",
      description: "PEM private key of INGEST_TLS_CERT_FILE.",
      file: true,
      parse: file,
    },
    tokenAuthFile: {
      env: "INGEST_TOKEN_AUTH_FILE",
      description: "Static bearer tokens, kube-apiserver --token-auth-file CSV format.",
      file: true,
      parse: file,
    },
    basicAuthFile: {
      env: "INGEST_BASIC_AUTH_FILE",
      description: "Static user passwords, kube-apiserver --basic-auth-file CSV format.",
      file: true,
      parse: file,
    },
    clientCaFile: {
      env: "INGEST_CLIENT_CA_FILE",
      description:
        "PEM CA bundle; client certificates it signed authenticate as CN (user) and O (groups), as kube-apiserver --client-ca-file.",
      file: true,
      parse: file,
    },
    anonymousAuth: {
      env: "INGEST_ANONYMOUS_AUTH",
      description:
        "Treat unauthenticated requests as system:anonymous (group system:unauthenticated), with only what RBAC grants them, instead of refusing them with 401.",
      default: "false",
      parse: boolean,
    },
    secretsKeyFile: {
      env: "INGEST_SECRETS_KEY_FILE",
      description: "AES-256-GCM keyring JSON encrypting Secret payloads in events. Unset: Secret writes are refused.",
      file: true,
      parse: file,
    },
    maxRequestBodyBytes: {
      env: "INGEST_MAX_REQUEST_BODY_BYTES",
      description: "Largest request body accepted (Kubernetes' own limit is 3Mi).",
      default: "3Mi",
      parse: byteSize,
    },
    maxWatchTimeout: {
      env: "INGEST_MAX_WATCH_TIMEOUT",
      description: "Longest a watch stays open; clients re-watch from their last resourceVersion.",
      default: "30m",
      parse: duration,
    },
  },
  check: (r) => [
    ...bothOrNeither(r, "tlsCertFile", "tlsKeyFile", "both or neither; neither means a self-signed certificate"),
  ],
  build: (s) => ({
    ...commonConfig(s),
    bindAddress: s.bindAddress,
    securePort: s.securePort,
    tls:
      s.tlsCertFile !== undefined && s.tlsKeyFile !== undefined
        ? { certFile: s.tlsCertFile, keyFile: s.tlsKeyFile }
        : undefined,
    auth: {
      tokenFile: s.tokenAuthFile,
      basicFile: s.basicAuthFile,
      clientCaFile: s.clientCaFile,
      anonymous: s.anonymousAuth,
    },
    secretsKeyFile: s.secretsKeyFile,
    maxRequestBodyBytes: s.maxRequestBodyBytes,
    maxWatchTimeoutMs: s.maxWatchTimeout,
  }),
};

/** Loads the ingest's configuration; throws ConfigError listing every problem. */
export const loadIngestConfig = (env: Env, overrides: Overrides<IngestSettings> = {}): IngestConfig =>
  loadService(ingestDefinition, env, overrides).config;
