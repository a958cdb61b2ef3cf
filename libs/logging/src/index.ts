// @kubefed/logging: one logger shape and one redaction list for every service.
export { REDACTED, REDACT_PATHS, childLogger, createLogger } from "./logger.ts";
export type { LogBindings, LogLevel, Logger, LoggerOptions } from "./logger.ts";
