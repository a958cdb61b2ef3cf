import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { isImmutableFieldError, type InvalidStatus } from "./index.ts";

// Real 422 answers of a v1.36.3 kube-apiserver to server-side applies (fieldManager=federation, force) that change
// an existing object; `immutable: false` cases are ordinary invalid values.
const recorded = JSON.parse(readFileSync(new URL("./testdata/member-422-statuses.json", import.meta.url), "utf8")) as {
  case: string;
  immutable: boolean;
  code: number;
  status: InvalidStatus & { reason: string };
}[];

describe("isImmutableFieldError", () => {
  it("has recorded answers of both kinds", () => {
    expect(recorded.filter((r) => r.immutable).length).toBeGreaterThanOrEqual(15);
    expect(recorded.filter((r) => !r.immutable).length).toBeGreaterThanOrEqual(3);
    for (const r of recorded) expect([r.code, r.status.reason]).toEqual([422, "Invalid"]);
  });

  describe.each(recorded)("$case", ({ immutable, status }) => {
    it(`is ${immutable} for the whole Status`, () => {
      expect(isImmutableFieldError(status)).toBe(immutable);
    });
    it(`is ${immutable} from the causes alone`, () => {
      expect(isImmutableFieldError({ details: status.details ?? {} })).toBe(immutable);
    });
    it(`is ${immutable} from the message alone`, () => {
      expect(isImmutableFieldError({ message: status.message ?? "" })).toBe(immutable);
    });
  });

  it("is true when any one cause is about an immutable field", () => {
    expect(
      isImmutableFieldError({
        message: 'Service "s" is invalid: [...]',
        details: {
          causes: [
            { field: "spec.ports[0].port", message: "Invalid value: 0: must be between 1 and 65535, inclusive" },
            { field: "spec.clusterIPs[0]", message: 'Invalid value: ["None"]: may not change once set' },
          ],
        },
      }),
    ).toBe(true);
  });

  it("is false without message or causes", () => {
    expect(isImmutableFieldError({})).toBe(false);
    expect(isImmutableFieldError({ details: {} })).toBe(false);
    expect(isImmutableFieldError({ details: { causes: [{ field: "spec" }] } })).toBe(false);
  });

  it("does not take a field merely named 'immutable' for the phrase", () => {
    expect(
      isImmutableFieldError({
        message: 'ConfigMap "c" is invalid: immutable: Invalid value: "yes": must be a boolean',
      }),
    ).toBe(false);
  });
});
