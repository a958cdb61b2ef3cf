import { describe, expect, it } from "vitest";
import {
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  regexError,
  utf8Length,
  validateAnnotations,
  validateLabels,
  TOTAL_ANNOTATION_SIZE_LIMIT_BYTES,
} from "./index.ts";

describe("isDNS1123Label", () => {
  it.each(["a", "abc", "a-b", "0", "123-abc", "a".repeat(63)])("accepts %s", (v) => {
    expect(isDNS1123Label(v)).toEqual([]);
  });
  it.each(["", "A", "-a", "a-", "a.b", "a_b", "ä"])("rejects %j", (v) => {
    expect(isDNS1123Label(v)).toHaveLength(1);
  });
  it("uses the Kubernetes wording", () => {
    expect(isDNS1123Label("My_Name")).toEqual([
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    ]);
  });
  it("reports length and format separately", () => {
    expect(isDNS1123Label("a".repeat(64))).toEqual(["must be no more than 63 characters"]);
    expect(isDNS1123Label(`${"a".repeat(63)}-`)).toHaveLength(2);
  });
});

describe("isDNS1123Subdomain", () => {
  it.each(["a", "example.com", "a-b.c-d.e", "1.2.3", "a".repeat(253)])("accepts %s", (v) => {
    expect(isDNS1123Subdomain(v)).toEqual([]);
  });
  it.each(["", ".a", "a.", "a..b", "A.b", "a_b", "-a.b", "a.-b"])("rejects %j", (v) => {
    expect(isDNS1123Subdomain(v).length).toBeGreaterThan(0);
  });
  it("uses the Kubernetes wording", () => {
    const [msg] = isDNS1123Subdomain("Bad");
    expect(msg).toContain(
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
    );
    expect(msg).toContain("(e.g. 'example.com', regex used for validation is");
  });
  it("caps the length at 253", () => {
    expect(isDNS1123Subdomain("a".repeat(254))).toEqual(["must be no more than 253 characters"]);
  });
});

describe("isDNS1035Label", () => {
  it("requires a leading letter", () => {
    expect(isDNS1035Label("web")).toEqual([]);
    expect(isDNS1035Label("1web")[0]).toMatch(/^a DNS-1035 label must consist of/);
  });
});

describe("isQualifiedName", () => {
  it.each(["app", "App.Name_1", "example.com/app", "a/b", "k8s.io/Name", `${"a".repeat(253)}/${"b".repeat(63)}`])(
    "accepts %s",
    (v) => expect(isQualifiedName(v)).toEqual([]),
  );
  it("rejects an empty prefix or name", () => {
    expect(isQualifiedName("/a")).toEqual(["prefix part must be non-empty"]);
    expect(isQualifiedName("a/")[0]).toBe("name part must be non-empty");
    expect(isQualifiedName("")[0]).toBe("name part must be non-empty");
  });
  it("rejects an invalid prefix with 'prefix part' messages", () => {
    expect(isQualifiedName("Example.com/a")[0]).toMatch(/^prefix part a lowercase RFC 1123 subdomain/);
  });
  it("rejects two slashes with one message", () => {
    const errs = isQualifiedName("a/b/c");
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(
      /^a qualified name must consist of .* with an optional DNS subdomain prefix and '\/' \(e\.g\. 'example\.com\/MyName'\)$/,
    );
  });
  it("caps the name part at 63", () => {
    expect(isQualifiedName("a".repeat(64))).toEqual(["name part must be no more than 63 characters"]);
  });
  it("rejects a name part that does not start and end alphanumeric", () => {
    expect(isQualifiedName("_a")[0]).toMatch(/^name part must consist of alphanumeric characters/);
  });
});

describe("isValidLabelValue", () => {
  it.each(["", "v1", "My_Value.2", "a".repeat(63)])("accepts %j", (v) => expect(isValidLabelValue(v)).toEqual([]));
  it.each(["-a", "a-", "a b", "a/b"])("rejects %j", (v) => {
    expect(isValidLabelValue(v)[0]).toMatch(/^a valid label must be an empty string or consist of/);
  });
  it("caps at 63", () => expect(isValidLabelValue("a".repeat(64))).toEqual(["must be no more than 63 characters"]));
});

describe("validateLabels", () => {
  it("returns field errors for keys and values", () => {
    const errs = validateLabels({ ok: "fine", "bad key!": "x", app: "-bad" });
    expect(errs.map((e) => e.field)).toEqual(["metadata.labels", "metadata.labels[app]"]);
    expect(errs[0]?.message).toMatch(/^"bad key!": name part must consist/);
  });
  it("accepts an empty map", () => expect(validateLabels({})).toEqual([]));
});

describe("validateAnnotations", () => {
  it("checks keys lower-cased, like Kubernetes", () => {
    expect(validateAnnotations({ "Example.COM/Thing": "x" })).toEqual([]);
    expect(validateAnnotations({ "a/b/c": "x" })).toHaveLength(1);
  });
  it("allows exactly 256 KiB of keys plus values and rejects one byte more", () => {
    const key = "k";
    const fits = { [key]: "v".repeat(TOTAL_ANNOTATION_SIZE_LIMIT_BYTES - 1) };
    expect(validateAnnotations(fits)).toEqual([]);
    const over = { [key]: "v".repeat(TOTAL_ANNOTATION_SIZE_LIMIT_BYTES) };
    expect(validateAnnotations(over)).toEqual([
      { field: "metadata.annotations", message: "Too long: must have at most 262144 bytes" },
    ]);
  });
  it("counts UTF-8 bytes, not UTF-16 code units", () => {
    const euro = "€"; // 3 bytes in UTF-8
    const n = Math.floor(TOTAL_ANNOTATION_SIZE_LIMIT_BYTES / 3) + 1; // ~87k UTF-16 units, >256 KiB of UTF-8
    expect(validateAnnotations({ a: euro.repeat(n) })).toHaveLength(1);
  });
});

describe("utf8Length", () => {
  it.each(["", "abc", "é", "€", "😀", "a€😀é", "\ud800x"])("matches Buffer.byteLength for %j", (s) => {
    expect(utf8Length(s)).toBe(Buffer.byteLength(s, "utf8"));
  });
});

describe("regexError", () => {
  it("formats without examples", () => {
    expect(regexError("must match", "x+")).toBe("must match (regex used for validation is 'x+')");
  });
});
