import { describe, expect, it } from "vitest";
import {
  EventType,
  FederationError,
  Header,
  PreconditionType,
  currentSchema,
  decodeEvent,
  encodeEvent,
  type EncodedMessage,
  type FederationEvent,
  type ObjectRef,
} from "./index.ts";

const metadata = {
  eventId: "evt-1",
  time: "2024-05-01T10:00:00.123Z",
  actor: { user: "alice", groups: ["system:authenticated", "devs"] },
  requestId: "req-1",
};
const cmRef: ObjectRef = { group: "", version: "v1", kind: "ConfigMap", namespace: "shop", name: "settings" };
const configMap = {
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "settings", namespace: "shop" },
  data: { a: "1" },
};

const created: FederationEvent = {
  type: EventType.ObjectCreated,
  data: {
    ref: cmRef,
    precondition: { type: PreconditionType.MustNotExist },
    object: configMap,
    fieldManager: "kubectl",
  },
  metadata,
};

/** What a consumer sees: kafkajs delivers header values as Buffers. */
const asReceived = (m: EncodedMessage) => ({
  value: m.value,
  headers: Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, Buffer.from(v)])),
});

const catchError = (fn: () => unknown): FederationError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof FederationError) return e;
    throw e;
  }
  throw new Error("expected a FederationError");
};

describe("encodeEvent / decodeEvent", () => {
  const events: FederationEvent[] = [
    created,
    { ...created, data: { ...created.data, fieldManager: undefined as unknown as string } },
    {
      type: EventType.ObjectUpdated,
      data: {
        ref: { group: "apps", version: "v1", kind: "Deployment", namespace: "shop", name: "web" },
        precondition: { type: PreconditionType.ExpectedResourceVersion, resourceVersion: "42" },
        object: {
          apiVersion: "apps/v1",
          kind: "Deployment",
          metadata: { name: "web" },
          spec: { replicas: 3, x: [1, null, true, 1.5] },
        },
      },
      metadata: { ...metadata, eventId: "evt-2", time: "2024-05-01T10:00:01+02:00" },
    },
    {
      type: EventType.ObjectStatusUpdated,
      data: {
        ref: { group: "", version: "v1", kind: "Namespace", namespace: null, name: "shop" },
        precondition: { type: PreconditionType.None },
        object: { status: { phase: "Active" } },
        fieldManager: "member-status",
      },
      metadata: { ...metadata, eventId: "evt-3", actor: { user: "system:federation", groups: [] } },
    },
    {
      type: EventType.ObjectDeleted,
      data: {
        ref: { group: "", version: "v1", kind: "Namespace", namespace: null, name: "shop" },
        precondition: { type: PreconditionType.None },
      },
      metadata: { ...metadata, eventId: "evt-4" },
    },
  ];

  it.each(events.map((e, i) => [i, e.type, e] as const))("round-trips event %i (%s)", (_, __, event) => {
    const decoded = decodeEvent(asReceived(encodeEvent(event)));
    const { fieldManager, ...rest } = "object" in event.data ? event.data : { ...event.data, fieldManager: undefined };
    const expected = { ...event, data: fieldManager === undefined ? rest : { ...rest, fieldManager } };
    expect(decoded).toEqual(expected);
  });

  it("keys by object and names schema and type in headers", () => {
    const msg = encodeEvent(created);
    expect(msg.key).toBe("/ConfigMap/shop/settings");
    expect(msg.headers).toEqual({
      [Header.Schema]: currentSchema(EventType.ObjectCreated).fingerprint,
      [Header.EventType]: "ObjectCreated",
    });
    expect(msg.headers[Header.Schema]).toMatch(/^[0-9a-f]{64}$/);
  });

  it("accepts string headers as well as Buffers", () => {
    const msg = encodeEvent(created);
    expect(decodeEvent({ value: msg.value, headers: msg.headers })).toEqual(decodeEvent(asReceived(msg)));
  });

  it("decodes without the event-type header (the fingerprint decides)", () => {
    const msg = encodeEvent(created);
    expect(decodeEvent({ value: msg.value, headers: { [Header.Schema]: msg.headers[Header.Schema] } }).type).toBe(
      "ObjectCreated",
    );
  });

  describe("refuses to encode", () => {
    it.each([
      ["an empty event id", { ...created, metadata: { ...metadata, eventId: "" } }, /event id/],
      ["an empty request id", { ...created, metadata: { ...metadata, requestId: "" } }, /request id/],
      ["a non-RFC 3339 time", { ...created, metadata: { ...metadata, time: "May 1 2024" } }, /RFC 3339/],
      ["an impossible date", { ...created, metadata: { ...metadata, time: "2024-13-45T10:00:00Z" } }, /RFC 3339/],
      ["an empty namespace", { ...created, data: { ...created.data, ref: { ...cmRef, namespace: "" } } }, /namespace/],
      ["an empty name", { ...created, data: { ...created.data, ref: { ...cmRef, name: "" } } }, /incomplete/],
      ["an array payload", { ...created, data: { ...created.data, object: [] as never } }, /JSON object/],
      [
        "an empty expected resourceVersion",
        {
          ...created,
          data: { ...created.data, precondition: { type: "ExpectedResourceVersion", resourceVersion: "" } },
        },
        /resourceVersion/,
      ],
    ] as const)("%s", (_, event, message) => {
      const err = catchError(() => encodeEvent(event as FederationEvent));
      expect(err.code).toBe("Invalid");
      expect(err.message).toMatch(message);
    });
    it("an unknown schema version", () => {
      expect(catchError(() => encodeEvent(created, { schemaVersion: 9 })).message).toMatch(/no schema version 9/);
    });
  });

  describe("poison messages", () => {
    const msg = encodeEvent(created);
    it("unknown writer fingerprint is terminal and says which", () => {
      const err = catchError(() =>
        decodeEvent({ value: msg.value, headers: { ...msg.headers, [Header.Schema]: "ab".repeat(32) } }),
      );
      expect(err.code).toBe("PoisonEvent");
      expect(err.retryable).toBe(false);
      expect(err.message).toContain(`unknown writer schema fingerprint ${"ab".repeat(32)}`);
      expect(err.message).toContain("kf-event-type=ObjectCreated");
    });
    it.each([
      [
        "a missing schema header",
        { value: msg.value, headers: { [Header.EventType]: "ObjectCreated" } },
        /no kf-schema header/,
      ],
      ["a tombstone", { value: null, headers: msg.headers }, /no value/],
      ["truncated bytes", { value: msg.value.subarray(0, 20), headers: msg.headers }, /does not decode/],
      [
        "trailing bytes",
        { value: Buffer.concat([msg.value, Buffer.from([0])]), headers: msg.headers },
        /does not decode/,
      ],
      [
        "a contradicting type header",
        { value: msg.value, headers: { ...msg.headers, [Header.EventType]: "ObjectDeleted" } },
        /contradicts/,
      ],
      [
        "a repeated header",
        { value: msg.value, headers: { ...msg.headers, [Header.EventType]: ["a", "b"] } },
        /appears 2 times/,
      ],
    ])("%s", (_, input, message) => {
      const err = catchError(() => decodeEvent(input));
      expect(err.code).toBe("PoisonEvent");
      expect(err.message).toMatch(message);
    });
    it("a payload that is not JSON", () => {
      const schema = currentSchema(EventType.ObjectCreated);
      const rec = schema.type.fromBuffer(msg.value) as { payload: Record<string, { json: string }> };
      (rec.payload["io.kubefed.events.JsonPayload"] as { json: string }).json = "{not json";
      const err = catchError(() => decodeEvent({ value: schema.type.toBuffer(rec), headers: msg.headers }));
      expect(err).toMatchObject({ code: "PoisonEvent", message: expect.stringMatching(/not JSON/) });
    });
  });
});
