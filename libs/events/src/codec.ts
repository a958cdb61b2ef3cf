// Encoding of federation events to Kafka messages and back.
//
// Message layout:
//   key     `objectKey(ref)` (group/kind/namespace/name): per-object ordering should the topic ever get partitions.
//   value   Avro binary of the event type's record (no framing: the schema is named by a header).
//   headers kf-schema      hex SHA-256 fingerprint of the writer schema (see schemas.ts)
//           kf-event-type  the event type, readable without decoding the value
//           kf-key-id      only on encrypted (Secret) payloads: the key that encrypted it, for operators
//                          and tooling; the value carries the key id too and is what decoding trusts. A Secret
//                          event without it, or with a plaintext payload, is refused (PoisonEvent).
import { objectKey } from "@kubefed/names";
import { ErrorCode, FederationError } from "./errors.ts";
import { decryptPayload, encryptPayload, type EncryptedPayload, type RandomBytes } from "./crypto.ts";
import type { Keyring } from "./keyring.ts";
import {
  Branch,
  allSchemas,
  currentSchema,
  readWithCurrentSchema,
  schemaByFingerprint,
  schemaVersion,
  type SchemaVersion,
} from "./schemas.ts";
import {
  EventType,
  PreconditionType,
  isSecretRef,
  type EventMetadata,
  type FederationEvent,
  type KubeObject,
  type ObjectRef,
  type Precondition,
} from "./types.ts";

export const Header = {
  Schema: "kf-schema",
  EventType: "kf-event-type",
  KeyId: "kf-key-id",
} as const;

export interface EncodeOptions {
  /** Required to encode Secret events. */
  readonly keyring?: Keyring;
  /** IV source for Secret encryption; defaults to node:crypto (see crypto.ts). */
  readonly randomBytes?: RandomBytes;
  /** Write an older schema version. Only for tests and migration tooling; fields the version lacks are dropped. */
  readonly schemaVersion?: number;
}

export interface EncodedMessage {
  readonly key: string;
  readonly value: Buffer;
  readonly headers: Record<string, string>;
}

/** Kafka header values as kafkajs delivers them. */
export type HeaderValue = Buffer | string | ReadonlyArray<Buffer | string> | undefined;

export interface DecodeInput {
  readonly value: Buffer | null;
  readonly headers?: Readonly<Record<string, HeaderValue>>;
}

export interface DecodeOptions {
  /** Required to decode Secret events. */
  readonly keyring?: Keyring;
}

// ---- Avro value shapes (wrapped unions: a branch is `{ [branchName]: value }`) -----------------------------

type AvroPrecondition =
  | null
  | { [Branch.MustNotExist]: Record<string, never> }
  | { [Branch.ExpectedResourceVersion]: { resourceVersion: string } };
type AvroPayload = { [Branch.JsonPayload]: { json: string } } | { [Branch.EncryptedPayload]: EncryptedPayload };
interface AvroRecord {
  eventId: string;
  time: string;
  actor: { user: string; groups: string[] };
  requestId: string;
  ref: { group: string; version: string; kind: string; namespace: { string: string } | null; name: string };
  precondition: AvroPrecondition;
  payload?: AvroPayload;
  fieldManager?: { string: string } | null;
}

const rfc3339Re = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const invalid = (message: string): FederationError => new FederationError(ErrorCode.Invalid, message);
const poison = (message: string, cause?: unknown): FederationError =>
  new FederationError(ErrorCode.PoisonEvent, message, cause === undefined ? {} : { cause });

/**
 * Additional authenticated data of an encrypted payload: the event's identity. Decryption fails if the ciphertext
 * is replayed inside another event or for another object.
 */
const aadOf = (eventType: EventType, eventId: string, ref: ObjectRef): Buffer =>
  Buffer.from(`kubefed-secret-v1\n${eventType}\n${eventId}\n${objectKey(ref)}`, "utf8");

function assertEncodable(event: FederationEvent): void {
  const { metadata: m, data } = event;
  if (!m.eventId) throw invalid("event id must be non-empty");
  if (!m.requestId) throw invalid("request id must be non-empty");
  if (!rfc3339Re.test(m.time) || Number.isNaN(Date.parse(m.time))) {
    throw invalid(`event time ${JSON.stringify(m.time)} is not an RFC 3339 timestamp`);
  }
  const { ref } = data;
  if (!ref.kind || !ref.version || !ref.name) throw invalid(`object reference ${JSON.stringify(ref)} is incomplete`);
  if (ref.namespace === "") throw invalid("namespace must be null (cluster-scoped) or non-empty");
  if (data.precondition.type === PreconditionType.ExpectedResourceVersion && !data.precondition.resourceVersion) {
    throw invalid("expected resourceVersion must be non-empty");
  }
  if ("object" in data && (typeof data.object !== "object" || data.object === null || Array.isArray(data.object))) {
    throw invalid("payload must be a JSON object");
  }
}

function preconditionToAvro(p: Precondition): AvroPrecondition {
  switch (p.type) {
    case PreconditionType.None:
      return null;
    case PreconditionType.MustNotExist:
      return { [Branch.MustNotExist]: {} };
    case PreconditionType.ExpectedResourceVersion:
      return { [Branch.ExpectedResourceVersion]: { resourceVersion: p.resourceVersion } };
    default: {
      const never: never = p;
      throw invalid(`unknown precondition ${JSON.stringify(never)}`);
    }
  }
}

function payloadToAvro(event: FederationEvent, object: KubeObject, opts: EncodeOptions): AvroPayload {
  const json = JSON.stringify(object);
  const { ref } = event.data;
  if (!isSecretRef(ref)) return { [Branch.JsonPayload]: { json } };
  if (!opts.keyring) {
    throw new FederationError(ErrorCode.KeyNotFound, "refusing to encode a Secret without a keyring (plaintext)");
  }
  const keyId = opts.keyring.primaryKeyId;
  const aad = aadOf(event.type, event.metadata.eventId, ref);
  const enc = encryptPayload(Buffer.from(json, "utf8"), keyId, opts.keyring.key(keyId), aad, opts.randomBytes);
  return { [Branch.EncryptedPayload]: enc };
}

function toAvro(event: FederationEvent, schema: SchemaVersion, opts: EncodeOptions): AvroRecord {
  const { metadata: m, data } = event;
  const record: AvroRecord = {
    eventId: m.eventId,
    time: m.time,
    actor: { user: m.actor.user, groups: [...m.actor.groups] },
    requestId: m.requestId,
    ref: {
      group: data.ref.group,
      version: data.ref.version,
      kind: data.ref.kind,
      namespace: data.ref.namespace === null ? null : { string: data.ref.namespace },
      name: data.ref.name,
    },
    precondition: preconditionToAvro(data.precondition),
  };
  switch (event.type) {
    case EventType.ObjectCreated:
    case EventType.ObjectUpdated:
    case EventType.ObjectStatusUpdated:
      record.payload = payloadToAvro(event, event.data.object, opts);
      if (schema.version >= 2) {
        record.fieldManager = event.data.fieldManager === undefined ? null : { string: event.data.fieldManager };
      }
      return record;
    case EventType.ObjectDeleted:
      return record;
    default: {
      const never: never = event;
      throw invalid(`unknown event type ${JSON.stringify((never as { type: unknown }).type)}`);
    }
  }
}

/** Encodes an event with the current schema of its type (or `opts.schemaVersion`), encrypting Secret payloads. */
export function encodeEvent(event: FederationEvent, opts: EncodeOptions = {}): EncodedMessage {
  const schema =
    opts.schemaVersion === undefined ? currentSchema(event.type) : schemaVersion(event.type, opts.schemaVersion);
  if (!schema) throw invalid(`no schema version ${opts.schemaVersion} for ${event.type}`);
  assertEncodable(event);
  const record = toAvro(event, schema, opts);
  let value: Buffer;
  try {
    value = schema.type.toBuffer(record);
  } catch (cause) {
    throw new FederationError(ErrorCode.Invalid, `event ${event.metadata.eventId} does not fit its schema`, { cause });
  }
  const headers: Record<string, string> = { [Header.Schema]: schema.fingerprint, [Header.EventType]: event.type };
  if (record.payload && Branch.EncryptedPayload in record.payload) {
    headers[Header.KeyId] = record.payload[Branch.EncryptedPayload].keyId;
  }
  return { key: objectKey(event.data.ref), value, headers };
}

function header(headers: DecodeInput["headers"], name: string): string | undefined {
  const raw = headers?.[name];
  if (raw === undefined) return undefined;
  const values = Array.isArray(raw) ? raw : [raw];
  if (values.length !== 1) throw poison(`header ${name} appears ${values.length} times`);
  const [v] = values as Array<Buffer | string>;
  return typeof v === "string" ? v : v?.toString("utf8");
}

function preconditionFromAvro(p: AvroPrecondition): Precondition {
  if (p === null) return { type: PreconditionType.None };
  if (Branch.ExpectedResourceVersion in p) {
    return {
      type: PreconditionType.ExpectedResourceVersion,
      resourceVersion: p[Branch.ExpectedResourceVersion].resourceVersion,
    };
  }
  return { type: PreconditionType.MustNotExist };
}

function payloadFromAvro(
  payload: AvroPayload | undefined,
  eventType: EventType,
  metadata: EventMetadata,
  ref: ObjectRef,
  input: DecodeInput,
  opts: DecodeOptions,
): KubeObject {
  if (!payload) throw poison(`${eventType} ${metadata.eventId} has no payload`);
  const headerKeyId = header(input.headers, Header.KeyId);
  // The ingest encrypts every Secret payload; a plaintext one was appended by something that bypassed it (the
  // broker is a trust boundary), so it is refused as undecodable rather than folded.
  if (isSecretRef(ref)) {
    const what = `${eventType} ${metadata.eventId} of Secret ${ref.namespace ?? ""}/${ref.name}`;
    if (!(Branch.EncryptedPayload in payload)) {
      throw poison(`${what} carries a plaintext payload; Secret payloads must be encrypted`);
    }
    if (headerKeyId === undefined)
      throw poison(`${what} has no ${Header.KeyId} header; Secret payloads must be encrypted`);
  }
  let json: string;
  if (Branch.EncryptedPayload in payload) {
    const enc = payload[Branch.EncryptedPayload];
    if (headerKeyId !== undefined && headerKeyId !== enc.keyId) {
      throw poison(`header ${Header.KeyId}=${headerKeyId} disagrees with the payload's key id ${enc.keyId}`);
    }
    if (!opts.keyring) {
      throw new FederationError(
        ErrorCode.KeyNotFound,
        `event ${metadata.eventId} is encrypted but no keyring is configured`,
      );
    }
    json = decryptPayload(enc, opts.keyring.key(enc.keyId), aadOf(eventType, metadata.eventId, ref)).toString("utf8");
  } else {
    json = payload[Branch.JsonPayload].json;
  }
  let object: unknown;
  try {
    object = JSON.parse(json);
  } catch (cause) {
    throw poison(`${eventType} ${metadata.eventId} carries a payload that is not JSON`, cause);
  }
  if (typeof object !== "object" || object === null || Array.isArray(object)) {
    throw poison(`${eventType} ${metadata.eventId} carries a payload that is not a JSON object`);
  }
  return object as KubeObject;
}

/**
 * Decodes a message written with any known schema version into the current event shape. Errors are
 * FederationErrors: PoisonEvent (terminal) for anything that can never decode, KeyNotFound (retryable) when
 * a Secret's key is missing from the keyring.
 */
export function decodeEvent(input: DecodeInput, opts: DecodeOptions = {}): FederationEvent {
  if (input.value === null || input.value.length === 0) throw poison("message has no value (tombstone?)");
  const fingerprint = header(input.headers, Header.Schema);
  const typeHeader = header(input.headers, Header.EventType);
  if (fingerprint === undefined) throw poison(`message has no ${Header.Schema} header`);
  const writer = schemaByFingerprint(fingerprint);
  if (!writer) {
    const known = allSchemas()
      .map((s) => `${s.eventType}@v${s.version}`)
      .join(", ");
    throw poison(
      `unknown writer schema fingerprint ${fingerprint} (${Header.EventType}=${typeHeader ?? "absent"}); ` +
        `this reader knows ${known}. A newer writer was deployed before this reader?`,
    );
  }
  if (typeHeader !== undefined && typeHeader !== writer.eventType) {
    throw poison(`${Header.EventType}=${typeHeader} contradicts the schema fingerprint (${writer.eventType})`);
  }
  let rec: AvroRecord;
  try {
    rec = readWithCurrentSchema(writer, input.value) as AvroRecord;
  } catch (cause) {
    throw poison(`value does not decode as ${writer.eventType} v${writer.version}`, cause);
  }
  const metadata: EventMetadata = {
    eventId: rec.eventId,
    time: rec.time,
    actor: { user: rec.actor.user, groups: [...rec.actor.groups] },
    requestId: rec.requestId,
  };
  const ref: ObjectRef = {
    group: rec.ref.group,
    version: rec.ref.version,
    kind: rec.ref.kind,
    namespace: rec.ref.namespace === null ? null : rec.ref.namespace.string,
    name: rec.ref.name,
  };
  const precondition = preconditionFromAvro(rec.precondition);
  const eventType = writer.eventType;
  switch (eventType) {
    case EventType.ObjectCreated:
    case EventType.ObjectUpdated:
    case EventType.ObjectStatusUpdated: {
      const object = payloadFromAvro(rec.payload, eventType, metadata, ref, input, opts);
      const fieldManager = rec.fieldManager?.string;
      const data = { ref, precondition, object, ...(fieldManager === undefined ? {} : { fieldManager }) };
      return { type: eventType, data, metadata };
    }
    case EventType.ObjectDeleted:
      return { type: eventType, data: { ref, precondition }, metadata };
    default: {
      const never: never = eventType;
      throw poison(`unknown event type ${String(never)}`);
    }
  }
}
