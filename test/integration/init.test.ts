// kubefed init and delete against a real kube-apiserver as host: member2 of the local environment, whose
// scheduler, controllers (deployment, statefulset, volume binder) and kwok nodes really create, bind and schedule
// what init creates. kwok runs no containers: it reports the pods Ready, so init waits for the pods and is told
// to skip the federation API's /readyz (--skip-api-readyz), which nothing in these pods would ever answer.
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ADVERTISE_ADDRESS_ANNOTATION, HOST_NAMESPACE, hostedNames } from "@kubefed/names";
import { env, kubectl, uniqueName } from "./helpers.ts";

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, "../..");
const HOST = "member2";
const LISTED = "deployments,statefulsets,services,secrets,serviceaccounts,persistentvolumeclaims";

let dir: string;
let kubeconfig: string;
let providerConfig: string;

async function kubefed(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(join(ROOT, "cli/bin/kubefed"), [...args, "--kubeconfig", kubeconfig], {
      cwd: ROOT,
      timeout: 240_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const onHost = async (args: string[], input?: string) =>
  (await kubectl(["--context", HOST, ...args], { kubeconfig, ...(input !== undefined ? { input } : {}) })).stdout;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const getJson = async (args: string[]): Promise<any> => JSON.parse(await onHost([...args, "-o", "json"]));
/** Every object of the host's federation-system namespace, of the kinds init creates, by kind/name. */
const listed = async (): Promise<string[]> =>
  (await onHost(["get", LISTED, "-n", HOST_NAMESPACE, "-o", "name"]))
    .split("\n")
    .filter((l) => l !== "")
    .sort();
const contexts = () => (parse(readFileSync(kubeconfig, "utf8")) as { contexts?: { name: string }[] }).contexts ?? [];

/** A hostPath PersistentVolume reserved (claimRef) for the Kafka claim of federation `fed`. */
const reservedVolume = (fed: string, capacity: string) => ({
  apiVersion: "v1",
  kind: "PersistentVolume",
  metadata: { name: `${fed}-kafka-pv` },
  spec: {
    capacity: { storage: capacity },
    accessModes: ["ReadWriteOnce"],
    persistentVolumeReclaimPolicy: "Retain",
    storageClassName: "",
    hostPath: { path: `/tmp/${fed}-kafka` },
    claimRef: { namespace: HOST_NAMESPACE, name: hostedNames(fed).kafkaClaim },
  },
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kubefed-init-"));
  kubeconfig = join(dir, "kubeconfig");
  copyFileSync(env().kubeconfig, kubeconfig);
  providerConfig = join(dir, "coredns.conf");
  writeFileSync(providerConfig, `[Global]\netcd-endpoints = http://127.0.0.1:2379\nzones = example.com.\n`);
  // Created by the test, not init: delete then leaves it, and the cases below can list it before any init.
  await onHost(["create", "namespace", HOST_NAMESPACE]).catch((e: Error) => {
    if (!/AlreadyExists/.test(e.message)) throw e;
  });
});

describe("kubefed init refuses bad input in one line, creating nothing", () => {
  const fed = uniqueName("bad").slice(0, 30);
  const dns = ["--dns-provider=coredns", "--dns-zone-name=example.com."];
  const cases: [string, () => string[], RegExp][] = [
    [
      "a zone name without the trailing dot",
      () => ["--dns-provider=coredns", "--dns-zone-name=example.com", `--dns-provider-config=${providerConfig}`],
      /--dns-zone-name "example.com" must end with '\.'/,
    ],
    [
      "an unknown provider",
      () => ["--dns-provider=route53", "--dns-zone-name=example.com.", `--dns-provider-config=${providerConfig}`],
      /--dns-provider "route53" is not supported: use coredns or rfc2136/,
    ],
    [
      "a missing provider config file",
      () => [...dns, `--dns-provider-config=${join(dir, "missing.conf")}`],
      /--dns-provider-config .*missing\.conf: no such file/,
    ],
    [
      "an unknown arg override",
      () => ["--apiserver-arg-overrides=--anonymous-auth=false,--enable-swagger-ui=true"],
      /--enable-swagger-ui is not an option of the federation API/,
    ],
  ];
  for (const [what, args, message] of cases)
    it(what, async () => {
      const before = await listed();
      const r = await kubefed(["init", fed, `--host-cluster-context=${HOST}`, ...args()]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split("\n")).toEqual([expect.stringMatching(message)]);
      expect(await listed()).toEqual(before);
      expect(contexts().map((c) => c.name)).not.toContain(fed);
    });

  it("an unknown host context", async () => {
    const r = await kubefed(["init", fed, "--host-cluster-context=no-such-context"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      `kubefed: --host-cluster-context: context "no-such-context" does not exist in the kubeconfig`,
    );
    expect(contexts().map((c) => c.name)).not.toContain(fed);
  });
});

describe("kubefed init with NodePort, basic auth only, overrides, dns-sync and a reserved volume; then delete", () => {
  const fed = uniqueName("init").slice(0, 30);
  const n = hostedNames(fed);
  let init: { code: number; stdout: string; stderr: string };

  beforeAll(async () => {
    await onHost(["apply", "-f", "-"], JSON.stringify(reservedVolume(fed, "2Gi")));
    init = await kubefed([
      "init",
      fed,
      `--host-cluster-context=${HOST}`,
      "--api-server-service-type=NodePort",
      "--api-server-advertise-address=127.0.0.1",
      "--apiserver-enable-basic-auth=true",
      "--apiserver-enable-token-auth=false",
      "--apiserver-arg-overrides=--anonymous-auth=false,--v=4",
      "--dns-provider=coredns",
      "--dns-zone-name=example.com.",
      `--dns-provider-config=${providerConfig}`,
      "--kafka-pv-capacity=1Gi",
      "--skip-api-readyz",
      "--timeout=180",
    ]);
  }, 300_000);

  it("creates every object with the expected spec and waits for its pods", async () => {
    expect(init.stderr).toContain("not waiting for the federation API's /readyz (--skip-api-readyz)");
    expect(init.code, init.stderr).toBe(0);
    const secrets = (
      await getJson(["get", "secrets", "-n", HOST_NAMESPACE, "-l", `federation.kubernetes.io/control-plane=${fed}`])
    ).items.map((s: { metadata: { name: string } }) => s.metadata.name);
    expect(secrets.sort()).toEqual([n.basicAuth, n.ca, n.dnsProviderConfig, n.serving, n.keyring].sort());
    const svc = await getJson(["get", "service", n.apiserver, "-n", HOST_NAMESPACE]);
    expect(svc.spec).toMatchObject({ type: "NodePort", ports: [{ port: 443 }] });
    expect(svc.metadata.annotations).toMatchObject({ [ADVERTISE_ADDRESS_ANNOTATION]: "127.0.0.1" });
    const ingest = await getJson(["get", "deployment", n.apiserver, "-n", HOST_NAMESPACE]);
    const container = ingest.spec.template.spec.containers[0];
    expect(container.args).toEqual(["--anonymous-auth=false", "--log-level=debug"]);
    expect(container.env).toContainEqual({
      name: "INGEST_BASIC_AUTH_FILE",
      value: "/etc/kubefed/auth/basic/basic-auth.csv",
    });
    expect(container.env.map((e: { name: string }) => e.name)).not.toContain("INGEST_TOKEN_AUTH_FILE");
    const claim = await getJson(["get", "pvc", n.kafkaClaim, "-n", HOST_NAMESPACE]);
    expect(claim).toMatchObject({ spec: { volumeName: `${fed}-kafka-pv` }, status: { phase: "Bound" } });
    const dnsSync = await getJson(["get", "deployment", n.dnsSync, "-n", HOST_NAMESPACE]);
    expect(dnsSync.spec.template.spec.containers[0].env).toContainEqual({
      name: "DNS_SYNC_ZONE_NAME",
      value: "example.com.",
    });
    // Scheduled onto kwok nodes and Ready: one pod each of ingest, propagator, dns-sync and Kafka.
    const pods = (
      await getJson(["get", "pods", "-n", HOST_NAMESPACE, "-l", `federation.kubernetes.io/control-plane=${fed}`])
    ).items;
    expect(
      pods
        .map(
          (p: { metadata: { labels: Record<string, string> } }) =>
            p.metadata.labels["federation.kubernetes.io/component"],
        )
        .sort(),
    ).toEqual(["apiserver", "dns-sync", "kafka", "propagator"]);
    for (const p of pods) {
      expect(p.spec.nodeName).toMatch(new RegExp(`^${HOST}-node-`));
      expect(p.status.conditions).toContainEqual(expect.objectContaining({ type: "Ready", status: "True" }));
    }
    const kc = parse(readFileSync(kubeconfig, "utf8"));
    const cluster = kc.clusters.find((c: { name: string }) => c.name === fed);
    expect(cluster.cluster.server).toBe(`https://127.0.0.1:${svc.spec.ports[0].nodePort}`);
    expect(kc.users.find((u: { name: string }) => u.name === fed).user).toMatchObject({ username: "admin" });
    expect(kc.contexts).toContainEqual({ name: fed, context: { cluster: fed, user: fed } });
  });

  it("refuses a federation name already present in the host, changing nothing", async () => {
    const before = await listed();
    const r = await kubefed(["init", fed, `--host-cluster-context=${HOST}`]);
    expect(r.code).toBe(2);
    // The kubeconfig context is checked first; once it is gone, the host's objects are what refuse the name.
    expect(r.stderr.trim()).toMatch(new RegExp(`already has a context "${fed}"`));
    await kubectl(["config", "delete-context", fed], { kubeconfig });
    const again = await kubefed(["init", fed, `--host-cluster-context=${HOST}`]);
    expect(again.code).toBe(2);
    expect(again.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(new RegExp(`federation "${fed}" already exists in the host's federation-system`)),
    ]);
    expect(await listed()).toEqual(before);
  });

  it("delete removes everything but the claim, says so, and removes it with --delete-data", async () => {
    const r = await kubefed(["delete", fed, `--host-cluster-context=${HOST}`, "--timeout=50s"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `kept persistentvolumeclaim/${n.kafkaClaim}, the federation's log (--delete-data deletes it)`,
    );
    const mine = (await listed()).filter((o) => o.includes(fed));
    expect(mine).toEqual([`persistentvolumeclaim/${n.kafkaClaim}`]);
    expect(
      (await getJson(["get", "pods", "-n", HOST_NAMESPACE, "-l", `federation.kubernetes.io/control-plane=${fed}`]))
        .items,
    ).toEqual([]);
    const withData = await kubefed(["delete", fed, `--host-cluster-context=${HOST}`, "--delete-data", "--timeout=50s"]);
    expect(withData.code, withData.stderr).toBe(0);
    expect((await listed()).filter((o) => o.includes(fed))).toEqual([]);
    expect(contexts().map((c) => c.name)).not.toContain(fed);
    await onHost(["delete", "pv", `${fed}-kafka-pv`]);
  });
});

describe("kubefed init with the defaults: a LoadBalancer and token auth, here on an existing Kafka", () => {
  const fed = uniqueName("lb").slice(0, 30);

  it("writes the load balancer's address as the context's server, without waiting", async () => {
    const r = await kubefed([
      "init",
      fed,
      `--host-cluster-context=${HOST}`,
      "--kafka-brokers=kafka.example:9092",
      "--wait=false",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const svc = await getJson(["get", "service", hostedNames(fed).apiserver, "-n", HOST_NAMESPACE]);
    expect(svc.spec.type).toBe("LoadBalancer");
    const address = svc.status.loadBalancer.ingress[0].ip;
    const kc = parse(readFileSync(kubeconfig, "utf8"));
    expect(kc.clusters.find((c: { name: string }) => c.name === fed).cluster.server).toBe(`https://${address}:443`);
    expect(kc.users.find((u: { name: string }) => u.name === fed).user.token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const mine = (await listed()).filter((o) => o.includes(fed));
    expect(mine.some((o) => o.startsWith("persistentvolumeclaim/") || o.startsWith("statefulset.apps/"))).toBe(false);
    expect(mine).toContain(`secret/${hostedNames(fed).tokenAuth}`);
    const d = await kubefed(["delete", fed, `--host-cluster-context=${HOST}`]);
    expect(d.code, d.stderr).toBe(0);
    expect((await listed()).filter((o) => o.includes(fed))).toEqual([]);
  });
});

describe("kubefed init --dry-run", () => {
  it("prints manifests the pinned kube-apiserver accepts (kubectl apply --dry-run=server)", async () => {
    const fed = uniqueName("dry").slice(0, 30);
    const r = await kubefed([
      "init",
      fed,
      `--host-cluster-context=${HOST}`,
      "--dry-run",
      "--apiserver-enable-basic-auth=true",
      "--dns-provider=rfc2136",
      "--dns-zone-name=example.com.",
      `--dns-provider-config=${providerConfig}`,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const kinds = r.stdout
      .split("\n")
      .filter((l) => l.startsWith("kind: "))
      .map((l) => l.slice(6));
    expect(new Set(kinds)).toEqual(
      new Set([
        "Namespace",
        "Service",
        "ServiceAccount",
        "Secret",
        "PersistentVolumeClaim",
        "StatefulSet",
        "Deployment",
      ]),
    );
    const applied = await onHost(["apply", "--dry-run=server", "-f", "-"], r.stdout);
    expect(applied.trim().split("\n")).toHaveLength(kinds.length);
    expect(applied).toContain(`deployment.apps/${hostedNames(fed).dnsSync} created (server dry run)`);
    expect((await listed()).filter((o) => o.includes(fed))).toEqual([]);
  });
});
