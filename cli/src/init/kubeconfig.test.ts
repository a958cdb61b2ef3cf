import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KubeConfig } from "@kubernetes/client-node";
import { hasContext, kubeconfigPath, removeContext, writeContext } from "./kubeconfig.ts";

const EXISTING = `apiVersion: v1
kind: Config
current-context: host
clusters:
  - name: host
    cluster: { server: "https://10.0.0.1:6443" }
users:
  - name: host
    user: { token: abc }
contexts:
  - name: host
    context: { cluster: host, user: host }
`;

describe("the federation's kubeconfig entries", () => {
  it("are added beside the existing ones, readable by client-node, and removed again", () => {
    const path = join(mkdtempSync(join(tmpdir(), "kubefed-kc-")), "config");
    writeFileSync(path, EXISTING);
    writeContext(path, { name: "fed", server: "https://10.0.0.9:30443", caPem: "PEM", credentials: { token: "t0k" } });
    const kc = new KubeConfig();
    kc.loadFromFile(path);
    expect(kc.getCurrentContext()).toBe("host");
    expect(kc.getCluster("fed")).toMatchObject({
      server: "https://10.0.0.9:30443",
      caData: Buffer.from("PEM").toString("base64"),
    });
    expect(kc.getUser("fed")).toMatchObject({ token: "t0k" });
    expect(hasContext(path, "fed")).toBe(true);
    // Written again (a second init after delete): replaced, not duplicated.
    writeContext(path, {
      name: "fed",
      server: "https://x",
      caPem: "P",
      credentials: { username: "admin", password: "pw" },
    });
    expect(readFileSync(path, "utf8").match(/name: fed/g)).toHaveLength(3);
    expect(removeContext(path, "fed")).toBe(true);
    expect(hasContext(path, "fed")).toBe(false);
    expect(removeContext(path, "fed")).toBe(false);
    const after = new KubeConfig();
    after.loadFromFile(path);
    expect(after.getContexts().map((c) => c.name)).toEqual(["host"]);
  });

  it("go to the file kubectl would write", () => {
    expect(kubeconfigPath("/a", { KUBECONFIG: "/b" })).toBe("/a");
    expect(kubeconfigPath(undefined, { KUBECONFIG: ":/b:/c" })).toBe("/b");
    expect(kubeconfigPath(undefined, {})).toMatch(/\.kube\/config$/);
  });
});
