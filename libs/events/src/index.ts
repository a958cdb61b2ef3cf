// @kubefed/events: the events of the objects log, their Avro schemas and codec, Secret encryption, and the
// project-wide error base (FederationError).
export * from "./types.ts";
export { metaOf, type ObjectMeta } from "./objects.ts";
export * from "./errors.ts";
export { Keyring, parseKeyring, AES_256_KEY_BYTES } from "./keyring.ts";
export {
  GCM_IV_BYTES,
  GCM_TAG_BYTES,
  encryptPayload,
  decryptPayload,
  type EncryptedPayload,
  type RandomBytes,
} from "./crypto.ts";
export { currentSchema, schemaVersion, schemaByFingerprint, allSchemas, type SchemaVersion } from "./schemas.ts";
export {
  Header,
  encodeEvent,
  decodeEvent,
  type EncodeOptions,
  type EncodedMessage,
  type DecodeInput,
  type DecodeOptions,
  type HeaderValue,
} from "./codec.ts";
export {
  StatusType,
  ObservedOutcome,
  STATUS_SCHEMA_FINGERPRINT,
  statusKey,
  encodeStatus,
  decodeStatus,
  type StatusReport,
  type ClusterHealthReport,
  type ObjectObservedReport,
  type EncodedStatus,
} from "./status.ts";
