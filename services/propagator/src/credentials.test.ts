import { describe, expect, it } from "vitest";
import { credentialsRefusal } from "./projection.ts";

describe("credentialsRefusal", () => {
  it("lets credentials go only to the address they were issued for", () => {
    expect(credentialsRefusal("https://127.0.0.1:6443", "https://127.0.0.1:6443", "s/c")).toBeUndefined();
    // The same origin written differently is the same address.
    expect(credentialsRefusal("https://127.0.0.1:6443", "https://127.0.0.1:6443/", "s/c")).toBeUndefined();
    expect(credentialsRefusal("https://10.0.0.1:443", "10.0.0.1", "s/c")).toBeUndefined();
  });

  it("refuses another host, port or scheme, and says where the credentials belong", () => {
    expect(
      credentialsRefusal("https://127.0.0.1:7443", "https://127.0.0.1:6443", "kubefed-system/m1-credentials"),
    ).toBe(
      "its credentials Secret kubefed-system/m1-credentials was issued for https://127.0.0.1:6443, not for the Cluster's address https://127.0.0.1:7443: refusing to send them there (kubefed join --update moves a member to a new address)",
    );
    expect(credentialsRefusal("http://127.0.0.1:6443", "https://127.0.0.1:6443", "s/c")).toBeDefined();
    expect(credentialsRefusal("https://evil.example:6443", "https://127.0.0.1:6443", "s/c")).toBeDefined();
  });

  it("refuses credentials that name no address", () => {
    expect(credentialsRefusal("https://127.0.0.1:6443", undefined, "s/c")).toContain("kubefed join --update");
  });
});
