import { describe, expect, it } from "vitest";
import { FederationError, Keyring, parseKeyring } from "./index.ts";

const k1 = Buffer.alloc(32, 1).toString("base64");
const k2 = Buffer.alloc(32, 2).toString("base64");

describe("Keyring.parse", () => {
  it("parses the key file", () => {
    const ring = parseKeyring(JSON.stringify({ primary: "k2", keys: { k1, k2 } }));
    expect(ring.primaryKeyId).toBe("k2");
    expect(ring.keyIds()).toEqual(["k1", "k2"]);
    expect(ring.has("k1")).toBe(true);
    expect(ring.key("k1")).toEqual(Buffer.alloc(32, 1));
  });
  it("hands out copies of keys", () => {
    const ring = Keyring.parse(JSON.stringify({ primary: "k1", keys: { k1 } }));
    ring.key("k1").fill(9);
    expect(ring.key("k1")).toEqual(Buffer.alloc(32, 1));
  });
  it("never serialises key material", () => {
    const ring = Keyring.parse(JSON.stringify({ primary: "k1", keys: { k1 } }));
    expect(JSON.stringify(ring)).toBe('{"primary":"k1","keyIds":["k1"]}');
    expect(JSON.stringify({ ring })).not.toContain(k1);
  });
  it.each([
    ["not json", "{", /not valid JSON/],
    ["an array", "[]", /must be a JSON object/],
    ["no primary", JSON.stringify({ keys: { k1 } }), /"primary" must be a string/],
    ["no keys", JSON.stringify({ primary: "k1" }), /"keys" must be an object/],
    ["unknown primary", JSON.stringify({ primary: "k9", keys: { k1 } }), /primary key "k9" is not among the keys/],
    [
      "short key",
      JSON.stringify({ primary: "k1", keys: { k1: Buffer.alloc(16).toString("base64") } }),
      /base64 encoding of 32 bytes/,
    ],
    ["non-base64 key", JSON.stringify({ primary: "k1", keys: { k1: "!".repeat(44) } }), /base64 encoding of 32 bytes/],
    ["numeric key", JSON.stringify({ primary: "k1", keys: { k1: 5 } }), /base64 encoding of 32 bytes/],
    ["bad key id", JSON.stringify({ primary: "a b", keys: { "a b": k1 } }), /invalid key id "a b"/],
  ])("rejects %s", (_, content, message) => {
    let err: unknown;
    try {
      Keyring.parse(content);
    } catch (e) {
      err = e;
    }
    expect(FederationError.is(err, "Invalid")).toBe(true);
    expect(err).toMatchObject({ message: expect.stringMatching(message) });
  });
  it("does not quote key material in errors", () => {
    const almost = `${k1.slice(0, -2)}==`;
    expect(() => Keyring.parse(JSON.stringify({ primary: "k1", keys: { k1: almost } }))).toThrow(/^(?!.*AQEB)/);
  });
});

describe("Keyring.key", () => {
  it("fails with a retryable KeyNotFound naming the missing and known ids", () => {
    const ring = Keyring.fromKeys("k1", { k1: Buffer.alloc(32) });
    let err: unknown;
    try {
      ring.key("old");
    } catch (e) {
      err = e;
    }
    expect(FederationError.is(err, "KeyNotFound")).toBe(true);
    expect(err).toMatchObject({
      retryable: true,
      message: expect.stringContaining('"old" is not in the keyring (have: k1)'),
    });
  });
  it("rejects keys of the wrong size in fromKeys", () => {
    expect(() => Keyring.fromKeys("k", { k: new Uint8Array(31) })).toThrow(/31 bytes/);
  });
});
