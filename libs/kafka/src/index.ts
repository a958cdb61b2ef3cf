/**
 * The one package that imports kafkajs (requestqueue.ts is a fix to it). kafkajs has had no release since 2023, so
 * the rest of the project speaks only the small types of types.ts; replacing the client later means rewriting this
 * package alone: client.ts (admin, tails, groups), appender.ts (group commit), partitioner.ts, records.ts,
 * security.ts (TLS, SASL, and why a secured connection failed), acls.ts.
 */
import "./requestqueue.ts";
export * from "./types.ts";
export { byKeyUnlessSingle } from "./partitioner.ts";
export { KafkaClient } from "./client.ts";
export { KafkaSecurityError } from "./security.ts";
