import { describe, expect, it } from "vitest";
import { ApiException, CoreV1Api } from "@kubernetes/client-node";
import { env, kubeConfigFor, kubectl, uniqueName } from "./helpers.ts";
import { VERSIONS } from "@kubefed/localenv";

/** Polls until `read` answers 404; fails with what is still there when `ms` runs out. */
async function untilGone(what: string, read: () => Promise<unknown>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      last = await read();
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return;
      throw err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} still exists after ${ms / 1000}s: ${JSON.stringify(last)}`);
}

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
      await api.createNamespacedConfigMap({
        namespace: "default",
        body: { metadata: { name }, data: { cluster: m.name } },
      });
      const { stdout } = await kubectl(["--context", m.name, "get", "configmap", name, "-n", "default", "-o", "json"]);
      const cm = JSON.parse(stdout) as { data: Record<string, string>; metadata: { name: string } };
      expect(cm.metadata.name).toBe(name);
      expect(cm.data).toEqual({ cluster: m.name });
    }
  });

  it("keeps members apart although they share one etcd (distinct --etcd-prefix)", async () => {
    const name = uniqueName("only-first");
    const [first, second] = members;
    await kubeConfigFor(first!.name)
      .makeApiClient(CoreV1Api)
      .createNamespacedConfigMap({ namespace: "default", body: { metadata: { name }, data: { a: "1" } } });
    const res = await kubectl([
      "--context",
      second!.name,
      "get",
      "configmap",
      name,
      "-n",
      "default",
      "--ignore-not-found",
      "-o",
      "name",
    ]);
    expect(res.stdout.trim()).toBe("");
    const inFirst = await kubectl(["--context", first!.name, "get", "configmap", name, "-n", "default", "-o", "name"]);
    expect(inFirst.stdout.trim()).toBe(`configmap/${name}`);
    expect(new Set(members.map((m) => m.etcdPrefix)).size).toBe(members.length);
  });

  // The propagator deletes namespaces in members and `kubefed unjoin --cleanup` must leave nothing behind: that
  // needs each member's kube-controller-manager (namespace controller, garbage collector).
  it("finishes deleting a namespace with content in it, in each member", async () => {
    const ns = uniqueName("doomed");
    await Promise.all(
      members.map(async (m) => {
        const api = kubeConfigFor(m.name).makeApiClient(CoreV1Api);
        await api.createNamespace({ body: { metadata: { name: ns } } });
        await api.createNamespacedConfigMap({
          namespace: ns,
          body: { metadata: { name: "inside" }, data: { cluster: m.name } },
        });
        await api.deleteNamespace({ name: ns });
        await untilGone(`namespace ${ns} in ${m.name}`, () => api.readNamespace({ name: ns }));
      }),
    );
  });

  it("garbage-collects an object whose owner was deleted, in each member", async () => {
    const owner = uniqueName("owner");
    await Promise.all(
      members.map(async (m) => {
        const api = kubeConfigFor(m.name).makeApiClient(CoreV1Api);
        const created = await api.createNamespacedConfigMap({
          namespace: "default",
          body: { metadata: { name: owner } },
        });
        const ownerReferences = [{ apiVersion: "v1", kind: "ConfigMap", name: owner, uid: created.metadata!.uid! }];
        await api.createNamespacedConfigMap({
          namespace: "default",
          body: { metadata: { name: `${owner}-dependent`, ownerReferences } },
        });
        await api.deleteNamespacedConfigMap({ namespace: "default", name: owner, propagationPolicy: "Background" });
        await untilGone(`configmap ${owner}-dependent in ${m.name}`, () =>
          api.readNamespacedConfigMap({ namespace: "default", name: `${owner}-dependent` }),
        );
      }),
    );
  });
});
