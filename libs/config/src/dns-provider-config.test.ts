import { describe, expect, it } from "vitest";
import { ConfigError, parseCorednsProviderConfig } from "./index.ts";

const problemsOf = (text: string, zone = "example.com."): string[] => {
  try {
    parseCorednsProviderConfig(text, "DNS_SYNC_PROVIDER_CONFIG (/c.conf)", zone);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => p.message);
    throw e;
  }
  throw new Error("expected a ConfigError");
};

describe("the coredns provider config file", () => {
  it("reads the original's [Global] format", () => {
    const text =
      "# federation DNS\n[Global]\netcd-endpoints = http://etcd-0:2379, http://etcd-1:2379\nzones = Example.com.\n";
    expect(parseCorednsProviderConfig(text, "f", "fed.example.com.")).toEqual({
      etcdEndpoints: ["http://etcd-0:2379", "http://etcd-1:2379"],
      zones: ["example.com."],
    });
  });

  it("names each problem with its line", () => {
    expect(problemsOf("")).toEqual([
      "DNS_SYNC_PROVIDER_CONFIG (/c.conf): etcd-endpoints is required",
      "DNS_SYNC_PROVIDER_CONFIG (/c.conf): zones is required",
    ]);
    expect(
      problemsOf("[Global]\netcd-endpoints = etcd:2379\nzones = example.com\nfoo = 1\netcd-cafile = /ca\n"),
    ).toEqual([
      'DNS_SYNC_PROVIDER_CONFIG (/c.conf): line 4: unknown key "foo" (known: etcd-endpoints, zones)',
      "DNS_SYNC_PROVIDER_CONFIG (/c.conf): line 5: etcd-cafile is not supported yet",
      'DNS_SYNC_PROVIDER_CONFIG (/c.conf): etcd-endpoints = "etcd:2379": each comma-separated item must be an http:// or https:// URL, e.g. "http://etcd:2379"; "etcd:2379" does not',
      'DNS_SYNC_PROVIDER_CONFIG (/c.conf): zones = "example.com": each comma-separated item must be a fully qualified DNS name ending with \'.\', e.g. "example.com."; "example.com" does not',
    ]);
    expect(problemsOf("etcd-endpoints = http://e:2379\n[Other]\nnot a line")).toEqual([
      "DNS_SYNC_PROVIDER_CONFIG (/c.conf): line 1: etcd-endpoints is outside the [Global] section",
      "DNS_SYNC_PROVIDER_CONFIG (/c.conf): line 2: unknown section [Other] (only [Global])",
      'DNS_SYNC_PROVIDER_CONFIG (/c.conf): line 3: expected "key = value", got "not a line"',
      "DNS_SYNC_PROVIDER_CONFIG (/c.conf): etcd-endpoints is required",
      "DNS_SYNC_PROVIDER_CONFIG (/c.conf): zones is required",
    ]);
  });

  it("refuses zones that do not hold the federation's zone", () => {
    expect(problemsOf("[Global]\netcd-endpoints = http://e:2379\nzones = other.org.\n")).toEqual([
      "DNS_SYNC_PROVIDER_CONFIG (/c.conf): zones = other.org. does not include the federation's zone example.com.",
    ]);
  });
});
