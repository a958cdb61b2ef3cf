import { describe, expect, it } from "vitest";
import { tsigKey } from "@kubefed/dnsupdate";
import type { Change } from "../provider.ts";
import { Rfc2136Provider } from "./rfc2136.ts";

const z = "kubefed.test.";

describe("Rfc2136Provider input checks", () => {
  // Refused before any connection: the server address is never dialled.
  const p = new Rfc2136Provider({
    server: { host: "127.0.0.1", port: 9 },
    key: tsigKey("k.", "hmac-sha256", "c2VjcmV0"),
  });
  const up = (name: string, type: "A" | "AAAA" | "CNAME", values: string[]): Change => ({
    action: "upsert",
    set: { name, type, ttl: 30, values },
  });
  it.each([
    [
      "a zone without the trailing dot",
      "kubefed.test",
      up(`a.${z}`, "A", ["192.0.2.1"]),
      /must be fully qualified with a trailing dot/,
    ],
    ["a set outside the zone", z, up("a.example.org.", "A", ["192.0.2.1"]), /outside zone kubefed\.test\./],
    ["an A value that is no address", z, up(`a.${z}`, "A", ["foo"]), /"foo" is not an A address/],
    ["an AAAA value that is IPv4", z, up(`a.${z}`, "AAAA", ["192.0.2.1"]), /is not an AAAA address/],
    ["a CNAME target without the dot", z, up(`a.${z}`, "CNAME", [`b.${z}`.slice(0, -1)]), /trailing dot/],
    ["two CNAME targets", z, up(`a.${z}`, "CNAME", [`b.${z}`, `c.${z}`]), /exactly one target/],
    ["an upsert without values", z, up(`a.${z}`, "A", []), /at least one value/],
    [
      "a name too long for its marker",
      z,
      up(`${"a".repeat(60)}.${"b".repeat(60)}.${"c".repeat(60)}.${"d".repeat(50)}.${z}`, "A", ["192.0.2.1"]),
      /longer than 255/,
    ],
  ])("refuses %s", async (_what, zone, change, message) => {
    await expect(p.apply(zone, "fed", [change])).rejects.toMatchObject({ code: "Invalid", message });
  });
});
