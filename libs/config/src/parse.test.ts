import { describe, expect, it } from "vitest";
import {
  boolean,
  byteSize,
  dns1123Label,
  dns1123Subdomain,
  domainName,
  duration,
  etcdPrefix,
  hostPort,
  httpUrl,
  ipAddress,
  labelValue,
  list,
  listenPort,
  zoneName,
  type Parser,
} from "./parse.ts";

const value = <T>(parser: Parser<T>, raw: string): T => {
  const parsed = parser(raw);
  if (!parsed.ok) throw new Error(`expected ${JSON.stringify(raw)} to parse: ${parsed.allowed}`);
  return parsed.value;
};
const rejects = <T>(parser: Parser<T>, raw: string): boolean => !parser(raw).ok;

describe("parsers", () => {
  it("reads Go-style durations in milliseconds and insists on a unit", () => {
    expect(value(duration, "500ms")).toBe(500);
    expect(value(duration, "2s")).toBe(2000);
    expect(value(duration, "1h30m")).toBe(5_400_000);
    for (const bad of ["10", "0s", "2 s", "1d", "-1s", "s"]) expect(rejects(duration, bad), bad).toBe(true);
  });

  it("reads byte sizes with binary suffixes", () => {
    expect(value(byteSize, "3Mi")).toBe(3 * 1024 * 1024);
    expect(value(byteSize, "1024")).toBe(1024);
    for (const bad of ["0", "3MB", "3M", "-1", "1.5Mi"]) expect(rejects(byteSize, bad), bad).toBe(true);
  });

  it("accepts listening port 0 (any free port) but not beyond 65535", () => {
    expect(value(listenPort, "0")).toBe(0);
    expect(value(listenPort, "65535")).toBe(65535);
    for (const bad of ["65536", "-1", "80a", "8.5"]) expect(rejects(listenPort, bad), bad).toBe(true);
  });

  it("reads host:port including bracketed IPv6 and an optional default port", () => {
    expect(value(hostPort(), "kafka:19092")).toEqual({ host: "kafka", port: 19092 });
    expect(value(hostPort(), "[::1]:9092")).toEqual({ host: "::1", port: 9092 });
    expect(value(hostPort(53), "ns1.example.com")).toEqual({ host: "ns1.example.com", port: 53 });
    for (const bad of ["kafka", "kafka:0", ":9092", "::1:9092", "[nothex]:1", "a b:1"])
      expect(rejects(hostPort(), bad), bad).toBe(true);
  });

  it("checks names the way Kubernetes and DNS do", () => {
    expect(value(dns1123Label, "fed-1")).toBe("fed-1");
    for (const bad of ["Fed", "-fed", "fed.", "a".repeat(64), ""]) expect(rejects(dns1123Label, bad), bad).toBe(true);
    expect(value(dns1123Subdomain, "eu.cluster-1")).toBe("eu.cluster-1");
    expect(rejects(dns1123Subdomain, "eu..c")).toBe(true);
    expect(value(labelValue, "europe-west1_A")).toBe("europe-west1_A");
    expect(rejects(labelValue, "_eu")).toBe(true);
    expect(value(zoneName, "Example.COM.")).toBe("example.com.");
    for (const bad of ["example.com", ".", "exa_mple.com.", "a..b."]) expect(rejects(zoneName, bad), bad).toBe(true);
    expect(value(domainName, "kubefed-key.")).toBe("kubefed-key.");
  });

  it("reads booleans, IPs, URLs and etcd prefixes strictly", () => {
    expect(value(boolean, "TRUE")).toBe(true);
    expect(value(boolean, "0")).toBe(false);
    expect(rejects(boolean, "yes")).toBe(true);
    expect(value(ipAddress, "::")).toBe("::");
    expect(rejects(ipAddress, "localhost")).toBe(true);
    expect(rejects(httpUrl, "etcd:2379")).toBe(true);
    expect(value(etcdPrefix, "/skydns/local")).toBe("/skydns/local");
    for (const bad of ["skydns", "/skydns/", "/", "/a//b"]) expect(rejects(etcdPrefix, bad), bad).toBe(true);
  });

  it("reads comma lists, trimming blanks, refusing empty items and, when asked, duplicates", () => {
    expect(value(list(dns1123Label), " a , b")).toEqual(["a", "b"]);
    expect(rejects(list(dns1123Label), "a,,b")).toBe(true);
    expect(rejects(list(dns1123Label, { unique: true }), "a,a")).toBe(true);
    const bad = list(dns1123Label)("a,B");
    expect(bad.ok ? "" : bad.allowed).toContain('"B" does not');
  });
});
