import { describe, expect, it } from "vitest";
import { foldWriteOnlyFields } from "./handlers.ts";

describe("write-only fields", () => {
  it("merges a Secret's stringData into data, stringData winning, and drops it", () => {
    const out = foldWriteOnlyFields({
      kind: "Secret",
      metadata: { name: "s" },
      data: { a: "eA==", b: "eQ==" },
      stringData: { b: "pass", c: "ü" },
    });
    expect(out).toEqual({
      kind: "Secret",
      metadata: { name: "s" },
      data: { a: "eA==", b: Buffer.from("pass").toString("base64"), c: Buffer.from("ü").toString("base64") },
    });
  });

  it("leaves other kinds, and malformed stringData (validation refuses it), alone", () => {
    const cm = { kind: "ConfigMap", stringData: { a: "b" } };
    expect(foldWriteOnlyFields(cm)).toBe(cm);
    const bad = { kind: "Secret", stringData: { a: 1 } };
    expect(foldWriteOnlyFields(bad)).toBe(bad);
  });
});
