import { describe, expect, it } from "vitest";
import { corednsStanza, shortNameTarget } from "./resolver.ts";

const SITE = { federation: "myfed", zone: "example.com.", region: "eu", memberZone: "eu-a", server: "10.1.2.3:53" };

describe("member-side resolver", () => {
  it("rewrites the short name to the member's zone-level name, else its region's, else the global one", () => {
    expect(shortNameTarget(SITE)).toBe("myfed.svc.eu-a.eu.example.com.");
    expect(shortNameTarget({ ...SITE, memberZone: null })).toBe("myfed.svc.eu.example.com.");
    expect(shortNameTarget({ ...SITE, region: null })).toBe("myfed.svc.example.com.");
  });

  it("prints a CoreDNS server block for the federation's short names", () => {
    const stanza = corednsStanza(SITE);
    expect(stanza).toContain("myfed.:53 {");
    expect(stanza).toContain(
      "name regex ^([a-z0-9-]+)\\.([a-z0-9-]+)\\.myfed\\.$ {1}.{2}.myfed.svc.eu-a.eu.example.com.",
    );
    expect(stanza).toContain("forward . 10.1.2.3:53");
  });
});
