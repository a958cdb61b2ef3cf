import { describe, expect, it } from "vitest";
import {
  CLUSTER_SELECTOR_ANNOTATION,
  DnsLevel,
  FIELD_MANAGER,
  OWNED_BY_LABEL,
  TopicKind,
  dnsSyncGroup,
  eventsTopic,
  ingestGroup,
  isOwnedBy,
  isQualifiedName,
  isValidLabelValue,
  objectsTopic,
  ownershipLabels,
  parseConsumerGroup,
  parseOwnedBy,
  parseServiceDnsName,
  parseTopic,
  propagatorGroup,
  serviceDnsNames,
  statusTopic,
  toAbsoluteDnsName,
  validateClusterName,
  validateFederationName,
  validateServiceDnsInput,
} from "./index.ts";

describe("federation name", () => {
  it("is a DNS-1123 label", () => {
    expect(validateFederationName("myfed")).toEqual([]);
    expect(validateFederationName("my-fed-2")).toEqual([]);
    expect(validateFederationName("my.fed")).toHaveLength(1);
    expect(validateFederationName("MyFed")).toHaveLength(1);
    expect(validateFederationName("")).toHaveLength(1);
    expect(validateFederationName("a".repeat(64))).toEqual(["must be no more than 63 characters"]);
  });
  it("cluster names are labels too", () => {
    expect(validateClusterName("us-east-1")).toEqual([]);
    expect(validateClusterName("cluster.one")).toHaveLength(1);
  });
});

describe("topics", () => {
  it("generates the three topics", () => {
    expect(objectsTopic("fed")).toBe("fed.objects");
    expect(statusTopic("fed")).toBe("fed.status");
    expect(eventsTopic("fed")).toBe("fed.events");
  });
  it("parses what it generates", () => {
    expect(parseTopic(objectsTopic("fed-1"))).toEqual({ federation: "fed-1", kind: TopicKind.Objects });
    expect(parseTopic(statusTopic("fed"))).toEqual({ federation: "fed", kind: TopicKind.Status });
    expect(parseTopic(eventsTopic("fed"))).toEqual({ federation: "fed", kind: TopicKind.Events });
  });
  it.each(["fed", "fed.other", "Fed.objects", ".objects", "a.b.objects", "__consumer_offsets"])(
    "does not parse foreign topic %s",
    (t) => expect(parseTopic(t)).toBeUndefined(),
  );
});

describe("consumer groups", () => {
  it("generates and parses the propagator group", () => {
    expect(propagatorGroup("fed", "eu-1")).toBe("fed.propagator.eu-1");
    expect(parseConsumerGroup("fed.propagator.eu-1")).toEqual({
      role: "propagator",
      federation: "fed",
      cluster: "eu-1",
    });
  });
  it("generates and parses the ingest group, replica ids may contain dots", () => {
    expect(ingestGroup("fed", "ingest-0.pod")).toBe("fed.ingest.ingest-0.pod");
    expect(parseConsumerGroup(ingestGroup("fed", "ingest-0.pod"))).toEqual({
      role: "ingest",
      federation: "fed",
      replica: "ingest-0.pod",
    });
  });
  it("generates and parses the dns-sync group", () => {
    expect(dnsSyncGroup("fed")).toBe("fed.dns-sync");
    expect(parseConsumerGroup("fed.dns-sync")).toEqual({ role: "dns-sync", federation: "fed" });
  });
  it.each(["fed", "fed.propagator", "fed.propagator.", "fed.unknown.x", "Bad.propagator.x", "fed.dns-sync.x"])(
    "does not parse %j",
    (g) => expect(parseConsumerGroup(g)).toBeUndefined(),
  );
});

describe("ownership", () => {
  it("uses a valid label key whose value is the federation name", () => {
    expect(OWNED_BY_LABEL).toBe("federation.kubernetes.io/owned-by");
    expect(isQualifiedName(OWNED_BY_LABEL)).toEqual([]);
    expect(isQualifiedName(CLUSTER_SELECTOR_ANNOTATION)).toEqual([]);
    const labels = ownershipLabels("fed");
    expect(labels).toEqual({ [OWNED_BY_LABEL]: "fed" });
    expect(isValidLabelValue("a".repeat(63))).toEqual([]);
  });
  it("parses the owner back", () => {
    expect(parseOwnedBy({ ...ownershipLabels("fed"), app: "x" })).toBe("fed");
    expect(parseOwnedBy({ app: "x" })).toBeUndefined();
    expect(parseOwnedBy({ [OWNED_BY_LABEL]: "" })).toBeUndefined();
    expect(parseOwnedBy(undefined)).toBeUndefined();
    expect(isOwnedBy(ownershipLabels("fed"), "fed")).toBe(true);
    expect(isOwnedBy(ownershipLabels("fed"), "other")).toBe(false);
    expect(isOwnedBy(null, "fed")).toBe(false);
  });
  it("names the field manager", () => expect(FIELD_MANAGER).toBe("federation"));
});

describe("Service DNS names", () => {
  const base = { service: "web", namespace: "shop", federation: "fed" };

  it("generates the three levels as absolute names", () => {
    expect(serviceDnsNames({ ...base, domain: "example.com", region: "us-east1", zone: "us-east1-b" })).toEqual({
      zone: "web.shop.fed.svc.us-east1-b.us-east1.example.com.",
      region: "web.shop.fed.svc.us-east1.example.com.",
      global: "web.shop.fed.svc.example.com.",
    });
  });
  it("treats the domain the same with or without its trailing dot", () => {
    const a = serviceDnsNames({ ...base, domain: "example.com", region: "r" });
    const b = serviceDnsNames({ ...base, domain: "Example.COM.", region: "r" });
    expect(a).toEqual(b);
    expect(a).toEqual({ global: "web.shop.fed.svc.example.com.", region: "web.shop.fed.svc.r.example.com." });
  });
  it("lower-cases region and zone (DNS is case-insensitive)", () => {
    expect(serviceDnsNames({ ...base, domain: "d.", region: "EU", zone: "EU-1" }).zone).toBe(
      "web.shop.fed.svc.eu-1.eu.d.",
    );
  });
  it("has only the global name without a region", () => {
    expect(serviceDnsNames({ ...base, domain: "example.com" })).toEqual({ global: "web.shop.fed.svc.example.com." });
  });
  it("validates the input", () => {
    expect(validateServiceDnsInput({ ...base, domain: "example.com", region: "r", zone: "z" })).toEqual([]);
    expect(validateServiceDnsInput({ ...base, domain: "example.com", zone: "z" })).toEqual([
      "zone given without a region",
    ]);
    expect(validateServiceDnsInput({ ...base, domain: "example.com", region: "us_east" })[0]).toMatch(
      /^region "us_east": /,
    );
    expect(validateServiceDnsInput({ ...base, domain: "bad..com" })[0]).toMatch(/^domain "bad..com": /);
    const long = "a".repeat(63);
    const errs = validateServiceDnsInput({
      service: long,
      namespace: long,
      federation: long,
      domain: "example.com",
      region: long,
      zone: long,
    });
    expect(errs).toEqual([expect.stringMatching(/is longer than 253 characters$/)]);
  });
  it("throws on input that cannot form a DNS name", () => {
    expect(() => serviceDnsNames({ ...base, domain: "example.com", region: "a b" })).toThrow(TypeError);
  });
  it("parses every level back", () => {
    const names = serviceDnsNames({ ...base, domain: "example.com.", region: "r1", zone: "z1" });
    expect(parseServiceDnsName(names.global, "example.com")).toEqual({ ...base, level: DnsLevel.Global });
    expect(parseServiceDnsName(names.region ?? "", "example.com")).toEqual({
      ...base,
      level: DnsLevel.Region,
      region: "r1",
    });
    expect(parseServiceDnsName(names.zone ?? "", "example.com.")).toEqual({
      ...base,
      level: DnsLevel.Zone,
      region: "r1",
      zone: "z1",
    });
    expect(parseServiceDnsName("WEB.shop.fed.svc.example.com", "example.com")).toEqual({
      ...base,
      level: DnsLevel.Global,
    });
  });
  it.each([
    "web.shop.fed.svc.other.org.",
    "web.shop.fed.example.com.",
    "web.shop.fed.svc.a.b.c.example.com.",
    "shop.fed.svc.example.com.",
    "web.shop.fed.svc.notexample.com.",
  ])("does not parse %s", (n) => expect(parseServiceDnsName(n, "example.com")).toBeUndefined());
  it("makes names absolute", () => {
    expect(toAbsoluteDnsName("Example.com")).toBe("example.com.");
    expect(toAbsoluteDnsName("example.com.")).toBe("example.com.");
  });
});
