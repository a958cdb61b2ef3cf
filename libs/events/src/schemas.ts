// Avro schemas of the objects log: one record schema per event type, every published version kept.
//
// Rules for evolving them (readers must be able to read everything ever written):
// - A published version is immutable; its fingerprint is pinned by a test (fixtures/fingerprints.json).
// - A new version adds fields WITH a default (or removes fields), so the current reader can resolve older writers.
// - Deploy readers before writers: a reader meeting an unknown (newer) fingerprint treats it as a poison event.
// - Fingerprint = SHA-256 of the schema's Parsing Canonical Form (avsc `type.fingerprint("sha256")`), hex in the
//   `kf-schema` header. The canonical form ignores docs and defaults, so two versions must differ in fields or
//   types; the registry refuses to load if two versions collide.
import avro from "avsc";
import type { Type } from "avsc";
import { EventType } from "./types.ts";

const NAMESPACE = "io.kubefed.events";

/** Wrapped-union branch names, as avsc expects them (qualified for named types). */
export const Branch = {
  MustNotExist: `${NAMESPACE}.MustNotExist`,
  ExpectedResourceVersion: `${NAMESPACE}.ExpectedResourceVersion`,
  JsonPayload: `${NAMESPACE}.JsonPayload`,
  EncryptedPayload: `${NAMESPACE}.EncryptedPayload`,
} as const;

const actor = {
  type: "record",
  name: "Actor",
  fields: [
    { name: "user", type: "string" },
    { name: "groups", type: { type: "array", items: "string" } },
  ],
};

const ref = {
  type: "record",
  name: "ObjectRef",
  fields: [
    { name: "group", type: "string" },
    { name: "version", type: "string" },
    { name: "kind", type: "string" },
    { name: "namespace", type: ["null", "string"] },
    { name: "name", type: "string" },
  ],
};

// null = no precondition.
const precondition = [
  "null",
  { type: "record", name: "MustNotExist", fields: [] },
  { type: "record", name: "ExpectedResourceVersion", fields: [{ name: "resourceVersion", type: "string" }] },
];

// The Kubernetes object travels as JSON text, not as an Avro record: objects are open-ended (any kind and
// version, fields unknown to us must survive a round trip for `kubectl apply`), so an Avro schema per kind would
// be both endless and lossy. The ingest validates objects at the edge; Avro guards the envelope around them.
// Secrets travel encrypted (AES-256-GCM over the same JSON text), never as plaintext.
const payload = [
  { type: "record", name: "JsonPayload", fields: [{ name: "json", type: "string" }] },
  {
    type: "record",
    name: "EncryptedPayload",
    fields: [
      { name: "keyId", type: "string" },
      { name: "iv", type: "bytes" },
      { name: "ciphertext", type: "bytes" },
      { name: "tag", type: "bytes" },
    ],
  },
];

const envelope = [
  { name: "eventId", type: "string" },
  { name: "time", type: "string" },
  { name: "actor", type: actor },
  { name: "requestId", type: "string" },
  { name: "ref", type: ref },
  { name: "precondition", type: precondition },
];

const writeV1 = [...envelope, { name: "payload", type: payload }];
// v2: the client's field manager, optional so v1 events resolve to null.
const writeV2 = [...writeV1, { name: "fieldManager", type: ["null", "string"], default: null }];

const record = (name: EventType, fields: readonly object[]): object => ({
  type: "record",
  name,
  namespace: NAMESPACE,
  fields,
});

/** Every published (event type, version) and its schema; the highest version of a type is its reader schema. */
const published: ReadonlyArray<readonly [EventType, number, object]> = [
  [EventType.ObjectCreated, 1, record(EventType.ObjectCreated, writeV1)],
  [EventType.ObjectCreated, 2, record(EventType.ObjectCreated, writeV2)],
  [EventType.ObjectUpdated, 1, record(EventType.ObjectUpdated, writeV1)],
  [EventType.ObjectUpdated, 2, record(EventType.ObjectUpdated, writeV2)],
  [EventType.ObjectStatusUpdated, 1, record(EventType.ObjectStatusUpdated, writeV1)],
  [EventType.ObjectStatusUpdated, 2, record(EventType.ObjectStatusUpdated, writeV2)],
  [EventType.ObjectDeleted, 1, record(EventType.ObjectDeleted, envelope)],
];

export interface SchemaVersion {
  readonly eventType: EventType;
  readonly version: number;
  readonly type: Type;
  /** Lower-case hex SHA-256 of the Parsing Canonical Form. */
  readonly fingerprint: string;
}

interface Registry {
  readonly byFingerprint: ReadonlyMap<string, SchemaVersion>;
  readonly current: ReadonlyMap<EventType, SchemaVersion>;
  readonly all: readonly SchemaVersion[];
  /** Resolver from each writer fingerprint to the current reader schema of its type. */
  readonly resolvers: ReadonlyMap<string, ReturnType<Type["createResolver"]>>;
}

// Built once at load: a schema that cannot be resolved to its reader fails at startup, not on the first message.
function buildRegistry(): Registry {
  const all = published.map(([eventType, version, schema]): SchemaVersion => {
    const type = avro.Type.forSchema(schema as Parameters<typeof avro.Type.forSchema>[0], { wrapUnions: true });
    return { eventType, version, type, fingerprint: type.fingerprint("sha256").toString("hex") };
  });
  const byFingerprint = new Map<string, SchemaVersion>();
  const current = new Map<EventType, SchemaVersion>();
  for (const entry of all) {
    const clash = byFingerprint.get(entry.fingerprint);
    if (clash) {
      throw new Error(
        `schemas ${clash.eventType} v${clash.version} and ${entry.eventType} v${entry.version} share a fingerprint`,
      );
    }
    byFingerprint.set(entry.fingerprint, entry);
    const cur = current.get(entry.eventType);
    if (!cur || cur.version < entry.version) current.set(entry.eventType, entry);
  }
  for (const t of Object.values(EventType)) {
    if (!current.has(t)) throw new Error(`no schema published for event type ${t}`);
  }
  const resolvers = new Map(
    all.map((w) => [w.fingerprint, (current.get(w.eventType) as SchemaVersion).type.createResolver(w.type)] as const),
  );
  return { byFingerprint, current, all, resolvers };
}

const registry = buildRegistry();

/** The reader (and default writer) schema of an event type. */
export function currentSchema(eventType: EventType): SchemaVersion {
  return registry.current.get(eventType) as SchemaVersion;
}

export function schemaVersion(eventType: EventType, version: number): SchemaVersion | undefined {
  return registry.all.find((s) => s.eventType === eventType && s.version === version);
}

export function schemaByFingerprint(fingerprint: string): SchemaVersion | undefined {
  return registry.byFingerprint.get(fingerprint.toLowerCase());
}

export const allSchemas = (): readonly SchemaVersion[] => registry.all;

/** Decodes bytes written with `writer` into a value of the current reader schema of the same type. */
export function readWithCurrentSchema(writer: SchemaVersion, value: Buffer): unknown {
  const reader = currentSchema(writer.eventType);
  return reader.type.fromBuffer(value, registry.resolvers.get(writer.fingerprint));
}
