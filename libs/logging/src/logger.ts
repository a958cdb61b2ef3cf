// Thin pino wrapper so every service logs the same JSON shape (service, level label, ISO time) and the same
// redaction. Redaction is a safety net for secrets that slip into a logged object, not permission to log them.
import { pino, type DestinationStream, type LevelWithSilent, type Logger as PinoLogger } from "pino";

export type Logger = PinoLogger;
export type LogLevel = LevelWithSilent;

/** Fields with a fixed meaning across services, so logs can be filtered the same way everywhere. */
export interface LogBindings {
  /** Member cluster the work concerns. */
  readonly cluster?: string;
  /** Request id carried from the API request into its event. */
  readonly requestId?: string;
  readonly [key: string]: unknown;
}

export interface LoggerOptions {
  readonly service: string;
  readonly level?: LogLevel;
  /** Where JSON lines go; stdout when absent. Tests pass a collecting stream. */
  readonly destination?: DestinationStream;
  /** Extra fields on every line of this logger (e.g. worker id). */
  readonly bindings?: LogBindings;
}

export const REDACTED = "[REDACTED]";

// Secret and ConfigMap payloads (data, stringData), credentials in headers and kubeconfigs.
const SECRET_KEYS = ["data", "stringData", "authorization", "token", "password", "bearerToken", "cookie"] as const;

// pino's wildcards match exactly one level, so each key is listed down to the depth our objects nest
// (e.g. event.object.data, req.headers.authorization, member.credentials.user.token).
const MAX_DEPTH = 3;
export const REDACT_PATHS: readonly string[] = SECRET_KEYS.flatMap((key) =>
  Array.from({ length: MAX_DEPTH + 1 }, (_, depth) => [...Array<string>(depth).fill("*"), key].join(".")),
);

export function createLogger({ service, level = "info", destination, bindings = {} }: LoggerOptions): Logger {
  const options = {
    level,
    base: { service, ...bindings },
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Labels rather than numbers: readable without a pretty-printer, and what log collectors index.
    formatters: { level: (label: string) => ({ level: label }) },
    serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}

/** A child logger carrying the given bindings on every line. */
export const childLogger = (logger: Logger, bindings: LogBindings): Logger => logger.child(bindings);
