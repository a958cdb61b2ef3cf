import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { LocalEnvError } from "./errors.ts";
import { writeKubeconfig } from "./env.ts";
import { assertPortFree, freePort } from "./ready.ts";
import { binaryPaths, cacheRoot, VERSIONS } from "./versions.ts";

describe("LocalEnvError", () => {
  it("names the component, the problem and the remedy in one line, and appends the log tail", () => {
    const e = new LocalEnvError("etcd", "not ready after 60s", "the machine may be overloaded", "line1\nline2");
    expect(e.message).toBe("etcd: not ready after 60s (the machine may be overloaded)");
    expect(e.describe()).toBe(
      "etcd: not ready after 60s (the machine may be overloaded)\n--- last lines of the etcd log ---\nline1\nline2",
    );
  });
});

describe("cache layout", () => {
  it("keys every build by its pinned version under XDG_CACHE_HOME", () => {
    expect(cacheRoot({ XDG_CACHE_HOME: "/x" })).toBe("/x/kubefed");
    const p = binaryPaths("/c");
    expect(p.kubeApiserver).toBe(`/c/k8s-${VERSIONS.kubernetes}/kube-apiserver`);
    expect(p.kafkaLibs).toBe(`/c/kafka-${VERSIONS.kafka}/libs`);
    expect(p.etcd).toBe(`/c/etcd-${VERSIONS.etcd}/etcd`);
  });
});

describe("writeKubeconfig", () => {
  it("writes one context per member, readable only by the owner", () => {
    const dir = mkdtempSync(join(tmpdir(), "kc-"));
    const file = join(dir, "kubeconfig");
    const member = (name: string, port: number) => ({
      name,
      server: `https://127.0.0.1:${port}`,
      port,
      etcdPrefix: `/members/${name}`,
      caFile: "/ca.crt",
      clientCert: `/${name}.crt`,
      clientKey: `/${name}.key`,
    });
    writeKubeconfig(file, [member("a", 1), member("b", 2)]);
    const kc = parse(readFileSync(file, "utf8")) as {
      contexts: { name: string; context: { cluster: string; user: string } }[];
      clusters: { name: string; cluster: { server: string } }[];
      "current-context": string;
    };
    expect(kc.contexts.map((c) => [c.name, c.context.cluster, c.context.user])).toEqual([
      ["a", "a", "admin@a"],
      ["b", "b", "admin@b"],
    ]);
    expect(kc.clusters.map((c) => c.cluster.server)).toEqual(["https://127.0.0.1:1", "https://127.0.0.1:2"]);
    expect(kc["current-context"]).toBe("a");
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});

describe("ports", () => {
  it("finds a free port and refuses one in use with the component's name", async () => {
    const port = await freePort();
    await expect(assertPortFree("kafka", port)).resolves.toBeUndefined();
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(port, "127.0.0.1", () => r()));
    try {
      await expect(assertPortFree("kafka", port)).rejects.toThrow(`kafka: port ${port} on 127.0.0.1 is already in use`);
    } finally {
      srv.close();
    }
  });
});
