import { describe, expect, it } from "vitest";
import fingerprints from "./fixtures/fingerprints.json" with { type: "json" };
import golden from "./fixtures/object-created-v1.json" with { type: "json" };
import {
  EventType,
  Header,
  PreconditionType,
  allSchemas,
  currentSchema,
  decodeEvent,
  encodeEvent,
  schemaByFingerprint,
  schemaVersion,
  type FederationEvent,
} from "./index.ts";

const event: FederationEvent = {
  type: EventType.ObjectUpdated,
  data: {
    ref: { group: "apps", version: "v1", kind: "Deployment", namespace: "shop", name: "web" },
    precondition: { type: PreconditionType.ExpectedResourceVersion, resourceVersion: "7" },
    object: {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "shop" },
      spec: { replicas: 2 },
    },
    fieldManager: "kubectl-client-side-apply",
  },
  metadata: { eventId: "e-1", time: "2024-01-01T00:00:00Z", actor: { user: "bob", groups: [] }, requestId: "r-1" },
};

describe("schema registry", () => {
  it("has one current schema per event type, the highest version", () => {
    expect(currentSchema(EventType.ObjectCreated).version).toBe(2);
    expect(currentSchema(EventType.ObjectUpdated).version).toBe(2);
    expect(currentSchema(EventType.ObjectStatusUpdated).version).toBe(2);
    expect(currentSchema(EventType.ObjectDeleted).version).toBe(1);
  });
  it("finds every version by its fingerprint, case-insensitively", () => {
    for (const s of allSchemas()) {
      expect(schemaByFingerprint(s.fingerprint)).toBe(s);
      expect(schemaByFingerprint(s.fingerprint.toUpperCase())).toBe(s);
    }
    expect(schemaByFingerprint("00")).toBeUndefined();
  });
  it("never changes a published schema (fingerprints are pinned)", () => {
    const actual = Object.fromEntries(allSchemas().map((s) => [`${s.eventType}@${s.version}`, s.fingerprint]));
    expect(actual).toEqual(fingerprints);
  });
});

describe("schema evolution", () => {
  it("reads an event written with v1 using the current (v2) reader", () => {
    const v1 = encodeEvent(event, { schemaVersion: 1 });
    expect(v1.headers[Header.Schema]).toBe(schemaVersion(EventType.ObjectUpdated, 1)?.fingerprint);
    expect(v1.headers[Header.Schema]).not.toBe(currentSchema(EventType.ObjectUpdated).fingerprint);
    const decoded = decodeEvent(v1);
    // v1 has no fieldManager: the reader fills in the default (null), surfaced as an absent field.
    const { fieldManager: _, ...dataWithoutManager } = event.data as { fieldManager?: string };
    expect(decoded).toEqual({ ...event, data: dataWithoutManager });
  });
  it("reads v1 bytes produced directly with the v1 Avro type (independent of the encoder)", () => {
    const v1 = schemaVersion(EventType.ObjectCreated, 1);
    if (!v1) throw new Error("v1 missing");
    const value = v1.type.toBuffer({
      eventId: "old-1",
      time: "2023-01-01T00:00:00Z",
      actor: { user: "carol", groups: ["ops"] },
      requestId: "rq",
      ref: { group: "", version: "v1", kind: "ConfigMap", namespace: { string: "default" }, name: "c" },
      precondition: { "io.kubefed.events.MustNotExist": {} },
      payload: { "io.kubefed.events.JsonPayload": { json: '{"data":{"k":"v"}}' } },
    });
    const decoded = decodeEvent({ value, headers: { [Header.Schema]: v1.fingerprint } });
    expect(decoded).toEqual({
      type: "ObjectCreated",
      data: {
        ref: { group: "", version: "v1", kind: "ConfigMap", namespace: "default", name: "c" },
        precondition: { type: "MustNotExist" },
        object: { data: { k: "v" } },
      },
      metadata: {
        eventId: "old-1",
        time: "2023-01-01T00:00:00Z",
        actor: { user: "carol", groups: ["ops"] },
        requestId: "rq",
      },
    });
  });
  it("reads a recorded v1 message (golden bytes)", () => {
    const decoded = decodeEvent({ value: Buffer.from(golden.valueHex, "hex"), headers: golden.headers });
    expect(decoded).toEqual(golden.event);
  });
});
