import { describe, expect, it } from "vitest";
import { CoreV1Api } from "@kubernetes/client-node";
import { env, kubeConfigFor, kubectl, uniqueName } from "./helpers.ts";
import { VERSIONS } from "@kubefed/localenv";

describe("member clusters (real kube-apiservers on one shared etcd)", () => {
  const members = env().members;

  it("runs every member at the pinned Kubernetes version, with the built kubectl of the same version", async () => {
    expect(members.length).toBeGreaterThanOrEqual(2);
    const { stdout } = await kubectl(["--context", members[0]!.name, "version", "-o", "json"]);
    const v = JSON.parse(stdout) as { clientVersion: { gitVersion: string }; serverVersion: { gitVersion: string } };
    expect(v.serverVersion.gitVersion).toBe(VERSIONS.kubernetes);
    expect(v.clientVersion.gitVersion).toBe(VERSIONS.kubernetes);
  });

  it("stores a ConfigMap written with client-node and reads it back with kubectl, in each member", async () => {
    const name = uniqueName("foundation");
    for (const m of members) {
      const api = kubeConfigFor(m.name).makeApiClient(CoreV1Api);
      await api.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name }, data: { cluster: m.name } } });
      const { stdout } = await kubectl(["--context", m.name, "get", "configmap", name, "-n", "default", "-o", "json"]);
      const cm = JSON.parse(stdout) as { data: Record<string, string>; metadata: { name: string } };
      expect(cm.metadata.name).toBe(name);
      expect(cm.data).toEqual({ cluster: m.name });
    }
  });

  it("keeps members apart although they share one etcd (distinct --etcd-prefix)", async () => {
    const name = uniqueName("only-first");
    const [first, second] = members;
    await kubeConfigFor(first!.name).makeApiClient(CoreV1Api).createNamespacedConfigMap({ namespace: "default", body: { metadata: { name }, data: { a: "1" } } });
    const res = await kubectl(["--context", second!.name, "get", "configmap", name, "-n", "default", "--ignore-not-found", "-o", "name"]);
    expect(res.stdout.trim()).toBe("");
    const inFirst = await kubectl(["--context", first!.name, "get", "configmap", name, "-n", "default", "-o", "name"]);
    expect(inFirst.stdout.trim()).toBe(`configmap/${name}`);
    expect(new Set(members.map((m) => m.etcdPrefix)).size).toBe(members.length);
  });
});
