// The events of the `<fed>.objects` log, as the rest of the code sees them (decoded, decrypted).

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** A Kubernetes object in its JSON form. Schemaless on purpose: see the payload comment in schemas.ts. */
export type KubeObject = JsonObject;

/** Who asked for the change, as authenticated by the ingest. */
export interface Actor {
  readonly user: string;
  readonly groups: readonly string[];
}

/** Which object an event is about. `group` is "" for the core group; `namespace` is null when cluster-scoped. */
export interface ObjectRef {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly namespace: string | null;
  readonly name: string;
}

export const PreconditionType = {
  None: "None",
  MustNotExist: "MustNotExist",
  ExpectedResourceVersion: "ExpectedResourceVersion",
} as const;
export type PreconditionType = (typeof PreconditionType)[keyof typeof PreconditionType];

/** Checked by the fold, which is the arbiter: the ingest's own check may be stale. */
export type Precondition =
  | { readonly type: typeof PreconditionType.None }
  | { readonly type: typeof PreconditionType.MustNotExist }
  | { readonly type: typeof PreconditionType.ExpectedResourceVersion; readonly resourceVersion: string };

export interface EventMetadata {
  /** Unique id chosen by the writer; the fold uses it as the created object's uid and to record the outcome. */
  readonly eventId: string;
  /** RFC 3339 / ISO 8601 time chosen by the writer (pure code never reads the clock). */
  readonly time: string;
  readonly actor: Actor;
  /** The API request that produced the event (for audit and tracing). */
  readonly requestId: string;
}

export const EventType = {
  ObjectCreated: "ObjectCreated",
  /** Carries the full new object (a PUT/apply of the main resource). */
  ObjectUpdated: "ObjectUpdated",
  /** A write to the status subresource; only `status` of the carried object is used. */
  ObjectStatusUpdated: "ObjectStatusUpdated",
  /** Deleting a Namespace is an ObjectDeleted of group "", kind Namespace: the fold cascades to its contents. */
  ObjectDeleted: "ObjectDeleted",
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

interface WriteData {
  readonly ref: ObjectRef;
  readonly precondition: Precondition;
  readonly object: KubeObject;
  /** The client's field manager (added in schema v2; absent in events written with v1). */
  readonly fieldManager?: string;
}

export interface ObjectCreated {
  readonly type: typeof EventType.ObjectCreated;
  readonly data: WriteData;
  readonly metadata: EventMetadata;
}

export interface ObjectUpdated {
  readonly type: typeof EventType.ObjectUpdated;
  readonly data: WriteData;
  readonly metadata: EventMetadata;
}

export interface ObjectStatusUpdated {
  readonly type: typeof EventType.ObjectStatusUpdated;
  readonly data: WriteData;
  readonly metadata: EventMetadata;
}

export interface ObjectDeleted {
  readonly type: typeof EventType.ObjectDeleted;
  readonly data: { readonly ref: ObjectRef; readonly precondition: Precondition };
  readonly metadata: EventMetadata;
}

export type FederationEvent = ObjectCreated | ObjectUpdated | ObjectStatusUpdated | ObjectDeleted;

/** What identifies an object: a reference without (or with) a version; objects have one identity across versions. */
export type ObjectIdentity = Pick<ObjectRef, "group" | "kind" | "namespace" | "name"> & { readonly version?: string };

/** Secrets are the one kind whose payload is encrypted before it leaves the process. */
export const isSecretRef = (ref: Pick<ObjectRef, "group" | "kind">): boolean =>
  ref.group === "" && ref.kind === "Secret";
