import { describe, expect, it } from "vitest";
import {
  EventType,
  FederationError,
  Header,
  Keyring,
  PreconditionType,
  currentSchema,
  decodeEvent,
  encodeEvent,
  type FederationEvent,
} from "./index.ts";
import { Branch } from "./schemas.ts";

const key = (byte: number) => Buffer.alloc(32, byte);
const ringV1 = Keyring.fromKeys("k1", { k1: key(1) });
const ringV2 = Keyring.fromKeys("k2", { k1: key(1), k2: key(2) });
const onlyV2 = Keyring.fromKeys("k2", { k2: key(2) });

const plaintexts = {
  password: "hunter2-very-secret",
  token: "tok_5f0b8c2e9d1a4c7b",
  stringData: "string-data-plaintext-value",
};
const b64 = (s: string) => Buffer.from(s).toString("base64");
const secretObject = {
  apiVersion: "v1",
  kind: "Secret",
  metadata: {
    name: "db",
    namespace: "shop",
    annotations: {
      // kubectl apply copies the whole object, data included, into this annotation: it must be encrypted too.
      "kubectl.kubernetes.io/last-applied-configuration": JSON.stringify({
        data: { password: b64(plaintexts.password) },
      }),
    },
  },
  type: "Opaque",
  data: { password: b64(plaintexts.password), token: b64(plaintexts.token) },
  stringData: { extra: plaintexts.stringData },
};
const secretCreated: FederationEvent = {
  type: EventType.ObjectCreated,
  data: {
    ref: { group: "", version: "v1", kind: "Secret", namespace: "shop", name: "db" },
    precondition: { type: PreconditionType.MustNotExist },
    object: secretObject,
  },
  metadata: { eventId: "s-1", time: "2024-05-01T00:00:00Z", actor: { user: "alice", groups: [] }, requestId: "r-1" },
};

const catchError = (fn: () => unknown): FederationError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof FederationError) return e;
    throw e;
  }
  throw new Error("expected a FederationError");
};

/** Every representation of a secret value that must never appear in what goes to the broker. */
const forbidden = [
  ...Object.values(plaintexts),
  b64(plaintexts.password),
  b64(plaintexts.token),
  "last-applied-configuration",
];

describe("Secret payload encryption", () => {
  const msg = encodeEvent(secretCreated, { keyring: ringV1 });

  it("leaves no plaintext secret in the value, key or headers", () => {
    const everything = Buffer.concat([msg.value, Buffer.from(msg.key), Buffer.from(JSON.stringify(msg.headers))]);
    for (const s of forbidden) {
      expect(everything.includes(Buffer.from(s)), s).toBe(false);
      expect(everything.includes(Buffer.from(s, "utf16le")), s).toBe(false);
    }
  });

  it("names the key in a header and round-trips", () => {
    expect(msg.headers[Header.KeyId]).toBe("k1");
    expect(decodeEvent(msg, { keyring: ringV1 })).toEqual(secretCreated);
  });

  it("does not encrypt other kinds, nor a Secret of another group", () => {
    const cm = {
      ...secretCreated,
      data: { ...secretCreated.data, ref: { ...secretCreated.data.ref, kind: "ConfigMap" } },
    };
    const plain = encodeEvent(cm as FederationEvent);
    expect(plain.headers[Header.KeyId]).toBeUndefined();
    expect(plain.value.includes(Buffer.from(plaintexts.stringData))).toBe(true);
    const crd = {
      ...secretCreated,
      data: { ...secretCreated.data, ref: { ...secretCreated.data.ref, group: "example.com" } },
    };
    expect(encodeEvent(crd as FederationEvent).headers[Header.KeyId]).toBeUndefined();
  });

  it("uses a fresh IV per event (same input, different bytes)", () => {
    const again = encodeEvent(secretCreated, { keyring: ringV1 });
    expect(again.value.equals(msg.value)).toBe(false);
  });

  it("takes the IV from the injected randomBytes (deterministic in tests)", () => {
    const fixed = (n: number) => new Uint8Array(n).fill(7);
    const a = encodeEvent(secretCreated, { keyring: ringV1, randomBytes: fixed });
    const b = encodeEvent(secretCreated, { keyring: ringV1, randomBytes: fixed });
    expect(a.value.equals(b.value)).toBe(true);
    const rec = currentSchema(EventType.ObjectCreated).type.fromBuffer(a.value) as {
      payload: Record<string, { iv: Buffer; tag: Buffer }>;
    };
    const enc = rec.payload["io.kubefed.events.EncryptedPayload"];
    expect(enc?.iv).toEqual(Buffer.alloc(12, 7));
    expect(enc?.tag).toHaveLength(16);
    expect(
      catchError(() => encodeEvent(secretCreated, { keyring: ringV1, randomBytes: () => new Uint8Array(4) })).code,
    ).toBe("Internal");
  });

  it("encrypts status writes and updates of Secrets too", () => {
    for (const type of [EventType.ObjectUpdated, EventType.ObjectStatusUpdated] as const) {
      const ev = { ...secretCreated, type } as FederationEvent;
      const m = encodeEvent(ev, { keyring: ringV1 });
      expect(m.headers[Header.KeyId]).toBe("k1");
      expect(m.value.includes(Buffer.from(plaintexts.token))).toBe(false);
      expect(decodeEvent(m, { keyring: ringV1 })).toEqual(ev);
    }
  });

  it("refuses to encode a Secret without a keyring", () => {
    const err = catchError(() => encodeEvent(secretCreated));
    expect(err.code).toBe("KeyNotFound");
    expect(err.message).toMatch(/without a keyring/);
  });

  describe("key rotation", () => {
    it("encrypts new events with the new primary while old events stay readable", () => {
      const newer = encodeEvent(
        { ...secretCreated, metadata: { ...secretCreated.metadata, eventId: "s-2" } },
        { keyring: ringV2 },
      );
      expect(newer.headers[Header.KeyId]).toBe("k2");
      expect(decodeEvent(msg, { keyring: ringV2 })).toEqual(secretCreated);
      expect(decodeEvent(newer, { keyring: ringV2 }).metadata.eventId).toBe("s-2");
    });
    it("fails clearly (and retryably) when the event's key is missing", () => {
      const err = catchError(() => decodeEvent(msg, { keyring: onlyV2 }));
      expect(err.code).toBe("KeyNotFound");
      expect(err.retryable).toBe(true);
      expect(err.message).toContain('"k1"');
    });
    it("fails when no keyring is configured", () => {
      expect(catchError(() => decodeEvent(msg)).code).toBe("KeyNotFound");
    });
  });

  describe("tampering is a poison event", () => {
    const type = currentSchema(EventType.ObjectCreated).type;
    type Enc = { keyId: string; iv: Buffer; ciphertext: Buffer; tag: Buffer };
    const mutate = (fn: (rec: { eventId: string; payload: Record<string, Enc> }, enc: Enc) => void) => {
      const rec = type.fromBuffer(msg.value) as { eventId: string; payload: Record<string, Enc> };
      fn(rec, rec.payload["io.kubefed.events.EncryptedPayload"] as Enc);
      return { value: type.toBuffer(rec), headers: msg.headers };
    };
    type Tamper = (rec: { eventId: string }, enc: Enc) => void;
    const tampers: ReadonlyArray<readonly [string, Tamper]> = [
      [
        "a flipped ciphertext bit",
        (_, enc) => {
          enc.ciphertext[0] = (enc.ciphertext[0] ?? 0) ^ 1;
        },
      ],
      [
        "a changed tag",
        (_, enc) => {
          enc.tag = Buffer.alloc(16);
        },
      ],
      [
        "a truncated tag",
        (_, enc) => {
          enc.tag = enc.tag.subarray(0, 8);
        },
      ],
      [
        "a ciphertext moved to another event",
        (rec) => {
          rec.eventId = "s-other";
        },
      ],
    ];
    it.each(tampers)("%s", (_, fn) => {
      const err = catchError(() => decodeEvent(mutate(fn), { keyring: ringV1 }));
      expect(err.code).toBe("PoisonEvent");
      expect(err.retryable).toBe(false);
    });
    it("a wrong key under the same id", () => {
      const impostor = Keyring.fromKeys("k1", { k1: key(9) });
      expect(catchError(() => decodeEvent(msg, { keyring: impostor })).code).toBe("PoisonEvent");
    });
    it("a key-id header that disagrees with the payload", () => {
      const err = catchError(() =>
        decodeEvent({ value: msg.value, headers: { ...msg.headers, [Header.KeyId]: "k2" } }, { keyring: ringV2 }),
      );
      expect(err).toMatchObject({ code: "PoisonEvent", message: expect.stringMatching(/disagrees/) });
    });
  });

  describe("a Secret event that is not encrypted is refused as undecodable", () => {
    const type = currentSchema(EventType.ObjectCreated).type;
    // What a client that bypassed the ingest could append: the right schema, a plaintext JSON payload.
    const plaintext = (headers: Record<string, string>) => {
      const rec = type.fromBuffer(msg.value) as { payload: Record<string, unknown> };
      rec.payload = { [Branch.JsonPayload]: { json: JSON.stringify(secretObject) } };
      return { value: type.toBuffer(rec), headers };
    };
    const { [Header.KeyId]: keyIdHeader, ...withoutKeyId } = msg.headers;

    it("the encrypted original decodes (so the refusals below are about what changed)", () => {
      expect(keyIdHeader).toBe("k1");
      expect(decodeEvent(msg, { keyring: ringV1 }).type).toBe(EventType.ObjectCreated);
    });
    it("a plaintext payload", () => {
      const err = catchError(() => decodeEvent(plaintext(withoutKeyId), { keyring: ringV1 }));
      expect(err).toMatchObject({ code: "PoisonEvent", retryable: false });
      expect(err.message).toBe(
        "ObjectCreated s-1 of Secret shop/db carries a plaintext payload; Secret payloads must be encrypted",
      );
    });
    it("a plaintext payload under a forged key-id header, with or without a keyring", () => {
      for (const keyring of [ringV1, undefined]) {
        const err = catchError(() => decodeEvent(plaintext(msg.headers), { keyring }));
        expect(err).toMatchObject({ code: "PoisonEvent", message: expect.stringMatching(/plaintext payload/) });
      }
    });
    it("an encrypted payload without the key-id header", () => {
      const err = catchError(() => decodeEvent({ value: msg.value, headers: withoutKeyId }, { keyring: ringV1 }));
      expect(err).toMatchObject({ code: "PoisonEvent", message: expect.stringMatching(/has no kf-key-id header/) });
    });
    it("a status write of a Secret in plaintext", () => {
      const statusType = currentSchema(EventType.ObjectStatusUpdated).type;
      const encoded = encodeEvent({ ...secretCreated, type: EventType.ObjectStatusUpdated }, { keyring: ringV1 });
      const rec = statusType.fromBuffer(encoded.value) as { payload: Record<string, unknown> };
      rec.payload = { [Branch.JsonPayload]: { json: JSON.stringify(secretObject) } };
      const forged = { value: statusType.toBuffer(rec), headers: encoded.headers };
      expect(catchError(() => decodeEvent(forged, { keyring: ringV1 })).code).toBe("PoisonEvent");
    });
    it("a Secret's deletion carries no payload and still decodes, as a ConfigMap's plaintext payload does", () => {
      const deleted: FederationEvent = {
        type: EventType.ObjectDeleted,
        data: { ref: secretCreated.data.ref, precondition: { type: PreconditionType.None } },
        metadata: secretCreated.metadata,
      };
      expect(decodeEvent(encodeEvent(deleted)).type).toBe(EventType.ObjectDeleted);
      const ref = { ...secretCreated.data.ref, kind: "ConfigMap" };
      const configMap = { ...secretCreated, data: { ...secretCreated.data, ref } } as FederationEvent;
      expect(decodeEvent(encodeEvent(configMap)).data.ref.kind).toBe("ConfigMap");
    });
  });
});
