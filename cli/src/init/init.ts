/**
 * `kubefed init NAME --host-cluster-context=CTX`: deploys a federation control plane into the host cluster's
 * federation-system namespace and writes kubeconfig context NAME. Every flag is checked, and the host is read
 * (context, reachability, a control plane of that name, a reserved volume), before anything is created.
 */
import { readFileSync } from "node:fs";
import { request } from "node:https";
import {
  AppsV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  type KubeConfig,
  type KubernetesObject,
  type V1Service,
} from "@kubernetes/client-node";
import { HOST_NAMESPACE, hostedNames } from "@kubefed/names";
import { stringify } from "yaml";
import { checkReachable, forContext, loadKubeConfig, oneLine, statusCode } from "../members.ts";
import { InputError } from "../output.ts";
import { describeObject, listHosted, loadBalancerAddress, nodeAddress, reservedVolume, selectorOf } from "./host.ts";
import { hasContext, kubeconfigPath, writeContext } from "./kubeconfig.ts";
import {
  ADMIN_USER,
  SERVICE_PORT,
  apiserverServiceOf,
  checkServiceConfigs,
  controlPlaneManifests,
  namespaceManifest,
} from "./manifests.ts";
import { generateMaterial } from "./material.ts";
import { planInit, type InitOptions, type InitPlan } from "./options.ts";

export const INIT_FIELD_MANAGER = "kubefed";
const POLL_MS = 1000;

export interface InitIO {
  /** Progress and results, one line each (stderr under --dry-run, so stdout stays pure YAML). */
  readonly say: (line: string) => void;
  /** The manifests of --dry-run. */
  readonly print: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** What --dry-run prints: multi-document YAML, or one v1 List in JSON, in creation order. */
export function dryRunOutput(objects: readonly KubernetesObject[], format: "yaml" | "json"): string {
  if (format === "json") return `${JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }, null, 2)}\n`;
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join("---\n");
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, deadline: number, probe: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(POLL_MS);
  }
}

/** Creates the Service and finds the address clients use: the advertised one, the load balancer's, or a node's. */
async function exposeApi(kc: KubeConfig, plan: InitPlan, deadline: number, say: (l: string) => void) {
  const core = kc.makeApiClient(CoreV1Api);
  const created = (await KubernetesObjectApi.makeApiClient(kc).create(
    apiserverServiceOf(plan),
    undefined,
    undefined,
    INIT_FIELD_MANAGER,
  )) as V1Service;
  say(`created ${describeObject({ ...created, kind: "Service" })}`);
  const name = created.metadata?.name ?? "";
  if (plan.service.type === "NodePort") {
    const port = created.spec?.ports?.[0]?.nodePort;
    if (port === undefined) throw new Error(`service ${name} was given no node port`);
    return { address: plan.service.advertiseAddress ?? (await nodeAddress(kc)), port };
  }
  say(`waiting for the load balancer's address of service/${name}`);
  const address = await until(`an address for LoadBalancer service ${name}`, deadline, async () =>
    loadBalancerAddress(await core.readNamespacedService({ name, namespace: HOST_NAMESPACE })),
  );
  return { address, port: SERVICE_PORT };
}

/** Ready counts of the control plane's Deployments and StatefulSet, as "name ready/wanted". */
async function readiness(kc: KubeConfig, fed: string): Promise<{ line: string; ready: boolean }> {
  const apps = kc.makeApiClient(AppsV1Api);
  const labelSelector = selectorOf(fed);
  const [deployments, statefulSets] = await Promise.all([
    apps.listNamespacedDeployment({ namespace: HOST_NAMESPACE, labelSelector }),
    apps.listNamespacedStatefulSet({ namespace: HOST_NAMESPACE, labelSelector }),
  ]);
  const workloads = [...deployments.items, ...statefulSets.items].map((w) => ({
    name: w.metadata?.name ?? "",
    want: w.spec?.replicas ?? 1,
    ready: w.status?.readyReplicas ?? 0,
    current: (w.status?.observedGeneration ?? 0) >= (w.metadata?.generation ?? 1),
  }));
  return {
    line: workloads.map((w) => `${w.name} ${w.ready}/${w.want}`).join(", "),
    ready: workloads.every((w) => w.current && w.ready >= w.want),
  };
}

/** GET /readyz of the federation API through its Service's address, verified against the new CA. */
async function apiReady(server: string, ca: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(new URL("/readyz", server), { ca, timeout: 5000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

export async function init(
  o: InitOptions & { skipApiReadyz?: boolean; output?: "table" | "yaml" | "json" },
  io: InitIO,
): Promise<void> {
  if (o.output !== undefined && !o.dryRun) throw new InputError("-o/--output applies to --dry-run only");
  const plan = planInit(o, (path) => readFileSync(path, "utf8"));
  checkServiceConfigs(plan);
  if (o.dryRun) {
    // No host to ask: a LoadBalancer's address is not known yet, so the certificate names only the Service's
    // DNS names (and the advertised address, if given).
    const material = await generateMaterial(plan.name, plan.service.advertiseAddress, plan.auth);
    const objects = [namespaceManifest(), apiserverServiceOf(plan), ...controlPlaneManifests(plan, material)];
    io.print(dryRunOutput(objects, o.output === "json" ? "json" : "yaml"));
    return;
  }
  const kc = forHost(readKubeConfig(o.kubeconfig), o.hostClusterContext);
  const path = kubeconfigPath(o.kubeconfig, io.env);
  if (hasContext(path, plan.name))
    throw new InputError(
      `the kubeconfig ${path} already has a context "${plan.name}": choose another name or remove it`,
    );
  await checkReachable(kc, `the host cluster (context ${o.hostClusterContext})`);
  const existing = await listHosted(kc, plan.name);
  if (existing.length > 0)
    throw new InputError(
      `federation "${plan.name}" already exists in the host's ${HOST_NAMESPACE} (${existing.map(describeObject).slice(0, 3).join(", ")}${existing.length > 3 ? ", ..." : ""}): kubefed delete it first`,
    );
  const ns = await kc
    .makeApiClient(CoreV1Api)
    .readNamespace({ name: HOST_NAMESPACE })
    .catch((err: unknown) => (statusCode(err) === 404 ? undefined : Promise.reject(err)));
  if (ns?.status?.phase === "Terminating")
    throw new Error(`namespace ${HOST_NAMESPACE} of the host is being deleted: run init again once it is gone`);
  const volume = reservedVolume(plan, (await kc.makeApiClient(CoreV1Api).listPersistentVolume()).items);

  const deadline = Date.now() + o.timeout * 1000;
  const objects = KubernetesObjectApi.makeApiClient(kc);
  try {
    try {
      await objects.create(namespaceManifest(), undefined, undefined, INIT_FIELD_MANAGER);
      io.say(`created namespace/${HOST_NAMESPACE}`);
    } catch (err) {
      if (statusCode(err) !== 409) throw err;
    }
    const api = await exposeApi(kc, plan, deadline, io.say);
    const server = `https://${api.address.includes(":") ? `[${api.address}]` : api.address}:${api.port}`;
    const material = await generateMaterial(plan.name, api.address, plan.auth);
    for (const manifest of controlPlaneManifests(plan, material, volume)) {
      await objects.create(manifest, undefined, undefined, INIT_FIELD_MANAGER);
      io.say(`created ${describeObject(manifest)}`);
    }
    if (volume)
      io.say(`persistentvolumeclaim/${hostedNames(plan.name).kafkaClaim} binds persistentvolume/${volume.name}`);
    writeContext(path, {
      name: plan.name,
      server,
      caPem: material.ca.cert,
      credentials:
        material.adminToken !== undefined
          ? { token: material.adminToken }
          : { username: ADMIN_USER, password: material.adminPassword ?? "" },
    });
    io.say(`wrote context "${plan.name}" (server ${server}, user ${ADMIN_USER}) to ${path}`);
    if (o.wait) {
      let last = "";
      await until("the control plane's pods to be ready", deadline, async () => {
        const r = await readiness(kc, plan.name);
        if (r.line !== last) io.say(`waiting for pods: ${(last = r.line)}`);
        return r.ready ? true : undefined;
      });
      if (o.skipApiReadyz) io.say("pods ready; not waiting for the federation API's /readyz (--skip-api-readyz)");
      else {
        io.say(`waiting for ${server}/readyz`);
        await until(`${server}/readyz`, deadline, async () =>
          (await apiReady(server, material.ca.cert)) ? true : undefined,
        );
      }
    }
    io.say(`federation "${plan.name}" is ${o.wait ? "ready" : "created"}: kubectl config use-context ${plan.name}`);
  } catch (err) {
    throw new Error(
      `${oneLine(err)} (what was created stays: kubefed delete ${plan.name} --host-cluster-context=${o.hostClusterContext} removes it)`,
    );
  }
}

/** The kubeconfig, or an InputError when it cannot be read. */
export function readKubeConfig(path: string | undefined): KubeConfig {
  try {
    return loadKubeConfig(path);
  } catch (err) {
    throw new InputError(oneLine(err));
  }
}

/** The host's context, or an InputError naming the flag. */
export function forHost(kc: KubeConfig, context: string): KubeConfig {
  try {
    return forContext(kc, context, "--host-cluster-context");
  } catch (err) {
    throw new InputError(oneLine(err));
  }
}
