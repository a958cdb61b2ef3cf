import { writeFileSync, mkdtempSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { env, kubectl as run } from "./helpers.ts";
import { startFederation, type Federation } from "./federation.ts";

let fed: Federation;
const k = (args: string[], input?: string, extraEnv?: NodeJS.ProcessEnv) =>
  run(["--context", "federation", ...args], {
    kubeconfig: fed.kubeconfig,
    ...(input !== undefined ? { input } : {}),
    ...(extraEnv ? { env: extraEnv } : {}),
  });
const json = async (args: string[]) => JSON.parse((await k([...args, "-o", "json"])).stdout) as Record<string, any>;
const tmp = mkdtempSync(join(tmpdir(), "kubefed-kubectl-"));
const file = (name: string, text: string) => {
  const f = join(tmp, name);
  writeFileSync(f, text);
  return f;
};

const deployment = (image: string, replicas = 2) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: ${image}
        ports: [{containerPort: 80}]
`;

beforeAll(async () => {
  fed = await startFederation(env(), "kctl");
});
afterAll(async () => {
  await fed?.stop();
});

describe("stock kubectl against the federation API (token auth, default flags)", () => {
  it("lists the federated resources and explains their fields", async () => {
    const { stdout } = await k(["api-resources"]);
    for (const r of [
      "configmaps",
      "deployments",
      "namespaces",
      "secrets",
      "services",
      "jobs",
      "ingresses",
      "horizontalpodautoscalers",
      "clusters",
    ])
      expect(stdout).toContain(r);
    const explain = await k(["explain", "deployment.spec.replicas"]);
    expect(explain.stdout).toContain("replicas");
    expect(explain.stdout).toMatch(/<integer>/);
  });

  it("creates a namespace and a configmap from a file", async () => {
    expect((await k(["create", "namespace", "shop"])).stdout.trim()).toBe("namespace/shop created");
    const f = file("app.properties", "color=blue\nsize=3\n");
    expect((await k(["create", "configmap", "settings", "-n", "shop", `--from-file=${f}`])).stdout.trim()).toBe(
      "configmap/settings created",
    );
    const cm = await json(["get", "configmap", "settings", "-n", "shop"]);
    expect(cm.data).toEqual({ "app.properties": "color=blue\nsize=3\n" });
    expect(Number(cm.metadata.resourceVersion)).toBeGreaterThan(0);
  });

  it("create -f, get in every output format, describe", async () => {
    expect((await k(["create", "-f", file("d1.yaml", deployment("nginx:1.25"))])).stdout.trim()).toBe(
      "deployment.apps/web created",
    );
    const d = await json(["get", "deployment", "web", "-n", "shop"]);
    expect(d.spec.template.spec.containers[0].image).toBe("nginx:1.25");
    expect(d.metadata.generation).toBe(1);
    expect((await k(["get", "deployment", "web", "-n", "shop", "-o", "yaml"])).stdout).toContain("image: nginx:1.25");
    expect((await k(["get", "deployment", "web", "-n", "shop", "-o", "jsonpath={.spec.replicas}"])).stdout).toBe("2");
    expect((await k(["get", "deployments", "-n", "shop", "-o", "wide"])).stdout).toMatch(/^NAME\s+/);
    expect((await k(["get", "deployments", "-n", "shop", "-o", "wide"])).stdout).toContain("web");
    const desc = await k(["describe", "deployment", "web", "-n", "shop"]);
    expect(desc.stdout).toMatch(/Name:\s+web/);
    expect(desc.stdout).toMatch(/Namespace:\s+shop/);
  });

  it("apply -f twice with a change in between, then apply --server-side", async () => {
    const f = file("d2.yaml", deployment("nginx:1.26"));
    expect((await k(["apply", "-f", f])).stdout.trim()).toBe("deployment.apps/web configured");
    expect((await json(["get", "deployment", "web", "-n", "shop"])).spec.template.spec.containers[0].image).toBe(
      "nginx:1.26",
    );
    writeFileSync(f, deployment("nginx:1.27", 3));
    expect((await k(["apply", "-f", f])).stdout.trim()).toBe("deployment.apps/web configured");
    const d = await json(["get", "deployment", "web", "-n", "shop"]);
    expect([d.spec.replicas, d.spec.template.spec.containers[0].image]).toEqual([3, "nginx:1.27"]);
    const ss = file(
      "ss.yaml",
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa, namespace: shop}\ndata: {a: "1"}\n`,
    );
    expect((await k(["apply", "--server-side", "-f", ss])).stdout.trim()).toBe("configmap/ssa serverside-applied");
    writeFileSync(
      ss,
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa, namespace: shop}\ndata: {a: "2", b: "3"}\n`,
    );
    await k(["apply", "--server-side", "-f", ss]);
    expect((await json(["get", "configmap", "ssa", "-n", "shop"])).data).toEqual({ a: "2", b: "3" });
  });

  // Known gap (docs/architecture.md, Known gaps): without managedFields the federation cannot tell which fields a
  // manager stops applying, so a field dropped from the applied configuration stays. A member kube-apiserver,
  // sent the same applies, removes it. When the gap is fixed the federation's half fails: make it match the member.
  it("known gap: apply --server-side keeps a field the configuration no longer has (a member removes it)", async () => {
    const member = env().members[0]!.name;
    const name = `ssa-drop-${Date.now().toString(36)}`;
    const cm = (data: string) =>
      file(
        `${name}.yaml`,
        `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: default}\ndata: ${data}\n`,
      );
    const onMember = (args: string[]) => run(["--context", member, ...args]);
    for (const data of ['{a: "1", b: "2"}', '{a: "1"}']) {
      const f = cm(data);
      await k(["apply", "--server-side", "-f", f]);
      await onMember(["apply", "--server-side", "-f", f]);
    }
    const memberData = JSON.parse(
      (await onMember(["get", "configmap", name, "-n", "default", "-o", "json"])).stdout,
    ).data;
    expect(memberData).toEqual({ a: "1" });
    expect((await json(["get", "configmap", name, "-n", "default"])).data).toEqual({ a: "1", b: "2" });
    await onMember(["delete", "configmap", name, "-n", "default"]);
  });

  it("label, annotate, and patch with all three patch types", async () => {
    await k(["label", "deployment", "web", "-n", "shop", "tier=frontend"]);
    await k(["annotate", "deployment", "web", "-n", "shop", "owner=team-a"]);
    let d = await json(["get", "deployment", "web", "-n", "shop"]);
    expect(d.metadata.labels).toMatchObject({ app: "web", tier: "frontend" });
    expect(d.metadata.annotations.owner).toBe("team-a");
    await k([
      "patch",
      "deployment",
      "web",
      "-n",
      "shop",
      "--type=strategic",
      "-p",
      '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.28"}]}}}}',
    ]);
    await k([
      "patch",
      "deployment",
      "web",
      "-n",
      "shop",
      "--type=merge",
      "-p",
      '{"metadata":{"labels":{"tier":null}}}',
    ]);
    await k([
      "patch",
      "deployment",
      "web",
      "-n",
      "shop",
      "--type=json",
      "-p",
      '[{"op":"replace","path":"/spec/replicas","value":4}]',
    ]);
    d = await json(["get", "deployment", "web", "-n", "shop"]);
    expect(d.spec.template.spec.containers).toHaveLength(1);
    expect(d.spec.template.spec.containers[0]).toMatchObject({
      name: "web",
      image: "nginx:1.28",
      ports: [{ containerPort: 80 }],
    });
    expect(d.metadata.labels.tier).toBeUndefined();
    expect(d.spec.replicas).toBe(4);
  });

  it("scale deployment through the scale subresource", async () => {
    expect((await k(["scale", "deployment", "web", "-n", "shop", "--replicas=6"])).stdout.trim()).toBe(
      "deployment.apps/web scaled",
    );
    expect((await json(["get", "deployment", "web", "-n", "shop"])).spec.replicas).toBe(6);
  });

  it("edit with a scripted EDITOR", async () => {
    const editor = file("editor.sh", "#!/bin/sh\nsed -i 's/color=blue/color=green/' \"$1\"\n");
    chmodSync(editor, 0o755);
    expect(
      (
        await k(["edit", "configmap", "settings", "-n", "shop"], undefined, { KUBE_EDITOR: editor, EDITOR: editor })
      ).stdout.trim(),
    ).toBe("configmap/settings edited");
    expect((await json(["get", "configmap", "settings", "-n", "shop"])).data["app.properties"]).toContain(
      "color=green",
    );
  });

  it("get -w sees the changes in order", async () => {
    const watcher = spawn(env().kubectl, [
      "--kubeconfig",
      fed.kubeconfig,
      "--context",
      "federation",
      "get",
      "configmaps",
      "-n",
      "shop",
      "-w",
      "--output-watch-events",
      "-o",
      'jsonpath={.type} {.object.metadata.name} {.object.data.v}{"\\n"}',
    ]);
    let out = "";
    watcher.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const lines = () => out.split("\n").filter((l) => l.includes("watched"));
    // kubectl lists before it watches (the list's items print as ADDED): once "settings" is printed, the watch
    // starts from that list's resourceVersion and misses nothing written after.
    await expect.poll(() => out, { timeout: 30_000 }).toContain("ADDED settings");
    await k(["create", "configmap", "watched", "-n", "shop", "--from-literal=v=1"]);
    await k(["patch", "configmap", "watched", "-n", "shop", "--type=merge", "-p", '{"data":{"v":"2"}}']);
    await k(["delete", "configmap", "watched", "-n", "shop"]);
    for (let i = 0; i < 50 && lines().length < 3; i++) await new Promise((r) => setTimeout(r, 100));
    watcher.kill();
    expect(lines()).toEqual(["ADDED watched 1", "MODIFIED watched 2", "DELETED watched 2"]);
  });

  it("delete", async () => {
    expect((await k(["delete", "deployment", "web", "-n", "shop"])).stdout).toContain('deployment.apps "web" deleted');
    await expect(k(["get", "deployment", "web", "-n", "shop"])).rejects.toMatchObject({
      stderr: expect.stringContaining('deployments.apps "web" not found'),
    });
  });

  it("get clusters", async () => {
    const { stdout, stderr } = await k(["get", "clusters"]);
    expect(`${stdout}${stderr}`).toContain("No resources found");
  });
});
