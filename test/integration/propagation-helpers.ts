/** Helpers of the propagation tests: a federation with joined members, and what each member holds of it. */
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { expect } from "vitest";
import { OWNED_BY_LABEL } from "@kubefed/names";
import {
  startFederation,
  startPropagator,
  type Federation,
  type Propagator,
  type PropagatorOptions,
} from "@kubefed/localenv";
import { api } from "./federation.ts";
import { env, kubectl } from "./helpers.ts";

const execFileP = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");

/** Runs the kubefed CLI. */
export async function kubefed(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return execFileP(resolve(ROOT, "cli/bin/kubefed"), args, { cwd: ROOT, timeout: 120_000 });
}

export interface MemberSpec {
  name: string;
  region?: string;
  zone?: string;
}

/** `kubefed join` of a member of the local environment into a federation. */
export async function join(fed: Federation, m: MemberSpec): Promise<void> {
  await kubefed([
    "join",
    m.name,
    `--host-cluster-context=federation`,
    `--cluster-context=${m.name}`,
    `--kubeconfig=${fed.kubeconfig}`,
    `--federation-name=${fed.name}`,
    ...(m.region ? [`--region=${m.region}`] : []),
    ...(m.zone ? [`--zone=${m.zone}`] : []),
  ]);
}

export async function federationWithMembers(
  name: string,
  members: MemberSpec[],
  ingestEnv: Record<string, string> = {},
): Promise<Federation> {
  const fed = await startFederation(env(), name, { env: ingestEnv });
  for (const m of members) await join(fed, m);
  return fed;
}

export async function propagator(fed: Federation, opts: PropagatorOptions = {}): Promise<Propagator> {
  return startPropagator(env(), fed, {
    env: {
      PROPAGATOR_HEALTH_PROBE_INTERVAL: "500ms",
      PROPAGATOR_FAILURES_TO_OFFLINE: "3",
      PROPAGATOR_SUCCESSES_TO_READY: "2",
      ...opts.env,
    },
    ...opts,
  });
}

/** kubectl against the federation. */
export const fedctl = (fed: Federation, args: string[], input?: string) =>
  kubectl(["--context", "federation", ...args], {
    kubeconfig: fed.kubeconfig,
    ...(input !== undefined ? { input } : {}),
  });

/** kubectl against a member (admin identity). */
export const memberctl = (member: string, args: string[], input?: string) =>
  kubectl(["--context", member, ...args], input !== undefined ? { input } : {});

export const PROPAGATED = [
  "namespaces",
  "configmaps",
  "secrets",
  "services",
  "deployments.apps",
  "replicasets.apps",
  "daemonsets.apps",
  "jobs.batch",
  "ingresses.networking.k8s.io",
  "horizontalpodautoscalers.autoscaling",
];

/** What a member holds of a federation: `resource/namespace/name` → the object. */
export async function ownedIn(member: string, fed: string, resources = PROPAGATED): Promise<Map<string, any>> {
  const out = new Map<string, any>();
  const { stdout } = await memberctl(member, [
    "get",
    resources.join(","),
    "-A",
    "-l",
    `${OWNED_BY_LABEL}=${fed}`,
    "-o",
    "json",
  ]);
  for (const o of JSON.parse(stdout).items as any[]) {
    // A namespace the member is still deleting is on its way out.
    if (o.kind === "Namespace" && o.status?.phase === "Terminating") continue;
    out.set(`${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`, o);
  }
  return out;
}

/** Polls until `check` stops throwing, or fails with its last error. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 30_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}

/** The federation's objects of the propagated kinds: `Kind/namespace/name` → object. */
export async function federated(fed: Federation, resources = PROPAGATED): Promise<Map<string, any>> {
  const out = new Map<string, any>();
  const { stdout } = await fedctl(fed, ["get", resources.join(","), "-A", "-o", "json"]);
  for (const o of JSON.parse(stdout).items as any[])
    out.set(`${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`, o);
  return out;
}

/**
 * The part of an object the federation decides (what a user wrote), for comparing a member's copy with it. For a
 * federated workload and a `member`, its replicas are that member's share in the plan the federation shows.
 */
export function essence(o: any, member?: string): unknown {
  const labels = { ...(o.metadata.labels ?? {}) };
  delete labels[OWNED_BY_LABEL];
  // Every kube-apiserver labels namespaces with their own name.
  delete labels["kubernetes.io/metadata.name"];
  if (o.kind === "ConfigMap" || o.kind === "Secret") return { labels, data: o.data ?? {} };
  if (o.kind === "Namespace") return { labels };
  if (o.kind === "Deployment" || o.kind === "ReplicaSet") {
    const planned = o.status?.placement?.clusters?.find((c: any) => c.cluster === member);
    return {
      labels,
      replicas: planned ? planned.replicas : o.spec.replicas,
      image: o.spec.template.spec.containers[0].image,
    };
  }
  if (o.kind === "Service") return { labels, ports: o.spec.ports.map((p: any) => [p.port, p.targetPort]) };
  return { labels };
}

/** Asserts a member holds exactly the federation's objects of the given namespaces (placed everywhere). */
export async function expectMemberEquals(
  fed: Federation,
  member: string,
  namespaces: string[],
  resources = PROPAGATED,
): Promise<void> {
  const want = new Map(
    [...(await federated(fed, resources))].filter(([k]) =>
      namespaces.some((ns) => k.split("/")[1] === ns || k === `Namespace//${ns}`),
    ),
  );
  const have = new Map(
    [...(await ownedIn(member, fed.name, resources))].filter(([k]) =>
      namespaces.some((ns) => k.split("/")[1] === ns || k === `Namespace//${ns}`),
    ),
  );
  expect([...have.keys()].sort(), `${member}: keys`).toEqual([...want.keys()].sort());
  for (const [k, o] of want) expect(essence(have.get(k)), `${member}: ${k}`).toEqual(essence(o, member));
}

/** Creates or replaces many ConfigMaps through the federation API, `parallel` at a time. Returns the count accepted. */
export async function writeConfigMaps(
  fed: Federation,
  namespace: string,
  count: number,
  version: string,
  parallel = 16,
): Promise<number> {
  let next = 0;
  let accepted = 0;
  const one = async (i: number) => {
    const body = JSON.stringify({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: `cm-${i}`, namespace },
      data: { version, i: String(i) },
    });
    // Apply: create or update without knowing which.
    const r = await api(
      fed,
      "PATCH",
      `/api/v1/namespaces/${namespace}/configmaps/cm-${i}?fieldManager=bench&force=true`,
      body,
      { contentType: "application/apply-patch+yaml" },
    );
    if (r.status === 200 || r.status === 201) accepted++;
    else throw new Error(`write cm-${i}: ${r.status} ${r.text}`);
  };
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) await one(next++);
    }),
  );
  return accepted;
}
