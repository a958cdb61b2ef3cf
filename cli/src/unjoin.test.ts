import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KubeConfig } from "@kubernetes/client-node";
import { memberContextFor, unjoin, type UnjoinOptions } from "./unjoin.ts";

const kc = new KubeConfig();
kc.loadFromOptions({
  clusters: [
    { name: "federation", server: "https://127.0.0.1:6443" },
    { name: "east", server: "https://10.0.0.1:6443" },
    { name: "west", server: "https://10.0.0.2:6443" },
  ],
  users: [{ name: "admin" }, { name: "viewer" }],
  contexts: [
    { name: "federation", cluster: "federation", user: "admin" },
    { name: "east", cluster: "east", user: "admin" },
    { name: "west", cluster: "west", user: "admin" },
    { name: "west-viewer", cluster: "west", user: "viewer" },
  ],
  currentContext: "federation",
});

describe("which member kubefed unjoin --cleanup cleans", () => {
  it("the context given, else the one context reaching the Cluster's address", () => {
    expect(memberContextFor(kc, "east", "https://10.0.0.1:6443", undefined)).toBe("east");
    expect(memberContextFor(kc, "east", "10.0.0.1:6443", undefined)).toBe("east");
    expect(memberContextFor(kc, "west", "https://10.0.0.2:6443", "west-viewer")).toBe("west-viewer");
  });

  it("refuses to guess", () => {
    expect(() => memberContextFor(kc, "west", "https://10.0.0.2:6443", undefined)).toThrow(
      'contexts "west", "west-viewer" all reach cluster west at https://10.0.0.2:6443: pass --cluster-context to choose one',
    );
    expect(() => memberContextFor(kc, "far", "https://10.9.9.9", undefined)).toThrow(
      "no context in the kubeconfig reaches cluster far at https://10.9.9.9: pass --cluster-context for --cleanup",
    );
    expect(() => memberContextFor(kc, "far", undefined, undefined)).toThrow("cluster far has no server address");
  });
});

describe("kubefed unjoin input", () => {
  const dir = mkdtempSync(join(tmpdir(), "kubefed-unjoin-"));
  const kubeconfig = join(dir, "kubeconfig");
  writeFileSync(kubeconfig, kc.exportConfig());
  const base: UnjoinOptions = {
    name: "east",
    hostClusterContext: "federation",
    kubeconfig,
    cleanup: false,
    federationName: "myfed",
  };

  // Each is refused before any request: the servers in this kubeconfig do not exist.
  it.each<[string, Partial<UnjoinOptions>, string]>([
    ["an invalid name", { name: "East" }, 'invalid cluster name "East"'],
    ["an invalid federation name", { federationName: "-x" }, 'invalid --federation-name "-x"'],
    [
      "an unknown federation context",
      { hostClusterContext: "nope" },
      '--host-cluster-context: context "nope" does not exist',
    ],
    [
      "an unknown member context",
      { cleanup: true, clusterContext: "nope" },
      '--cluster-context: context "nope" does not exist',
    ],
    ["a member context without --cleanup", { clusterContext: "east" }, "--cluster-context is only used with --cleanup"],
    ["a kubeconfig that is not there", { kubeconfig: join(dir, "missing") }, "cannot read the kubeconfig"],
  ])("refuses %s", async (_what, change, message) => {
    await expect(unjoin({ ...base, ...change }, () => undefined)).rejects.toThrow(message);
  });
});
