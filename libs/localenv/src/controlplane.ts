/**
 * The control-plane components of a member cluster beside its kube-apiserver: kube-controller-manager with the
 * workload controllers, and kube-scheduler. Both are the pinned Kubernetes', each with a client certificate of
 * its own from the environment's CA.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MemberInfo, Started } from "./components.ts";
import type { Pki } from "./pki.ts";
import { startProcess } from "./process.ts";
import { httpGet, readyOrStop } from "./ready.ts";
import type { BinaryPaths } from "./versions.ts";

/** A kubeconfig for one component of a member, with a client certificate for `cn` (and group `org`). */
export function componentKubeconfig(
  pki: Pki,
  member: MemberInfo,
  dir: string,
  component: string,
  cn: string,
  org?: string,
): string {
  const client = pki.issue(`${member.name}-${component}`, { cn, ...(org ? { org } : {}) });
  const path = join(dir, `${component}.kubeconfig`);
  // JSON is YAML: client-go reads it as a kubeconfig.
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: member.name, cluster: { server: member.server, "certificate-authority": member.caFile } }],
      users: [{ name: cn, user: { "client-certificate": client.cert, "client-key": client.key } }],
      contexts: [{ name: member.name, context: { cluster: member.name, user: cn } }],
      "current-context": member.name,
    }),
    { mode: 0o600 },
  );
  return path;
}

export interface ControllerManagerInfo {
  member: string;
  /** HTTPS port of its /healthz. */
  port: number;
}

/**
 * Controller names as `kube-controller-manager --controllers` knows them in v1.36: what the federated kinds need
 * to behave in a member as in a stock cluster (docs/local-environment.md says why each one).
 */
export const CONTROLLERS = [
  "deployment-controller",
  "replicaset-controller",
  "daemonset-controller",
  "job-controller",
  "ttl-after-finished-controller",
  "endpoints-controller",
  "endpointslice-controller",
  "endpointslice-mirroring-controller",
  "serviceaccount-controller",
  "serviceaccount-token-controller",
  "root-ca-certificate-publisher-controller",
  "namespace-controller",
  "garbage-collector-controller",
  "pod-garbage-collector-controller",
  // `kubefed init` deploys its Kafka into a member as a StatefulSet on a pre-created volume; the protection
  // controllers remove the finalizers admission puts on claims and volumes, so that deleting them completes.
  "statefulset-controller",
  "persistentvolume-binder-controller",
  "persistentvolumeclaim-protection-controller",
  "persistentvolume-protection-controller",
] as const;

/** The kube-controller-manager of one member cluster, with the controllers of CONTROLLERS only. */
export async function startControllerManager(
  bin: BinaryPaths,
  runDir: string,
  pki: Pki,
  member: MemberInfo,
  port: number,
  timeoutMs: number,
): Promise<Started<ControllerManagerInfo>> {
  const dir = join(runDir, "kube", member.name);
  mkdirSync(dir, { recursive: true });
  const serving = pki.issue(`${member.name}-controller-manager-serving`, {
    cn: `kube-controller-manager-${member.name}`,
    sans: ["IP:127.0.0.1", "DNS:localhost"],
  });
  // Without --use-service-account-credentials every controller acts as this one identity, and the bootstrap
  // role of system:kube-controller-manager only covers the shared informers (list/watch), not the writes the
  // controllers make: hence system:masters, like the member's admin.
  const kubeconfig = componentKubeconfig(
    pki,
    member,
    dir,
    "kube-controller-manager",
    "system:kube-controller-manager",
    "system:masters",
  );
  const sa = pki.serviceAccountKey();
  const started = Date.now();
  const proc = startProcess({
    name: `kube-controller-manager-${member.name}`,
    command: bin.kubeControllerManager,
    runDir,
    args: [
      `--kubeconfig=${kubeconfig}`,
      `--controllers=${CONTROLLERS.join(",")}`,
      "--leader-elect=false",
      "--use-service-account-credentials=false",
      "--bind-address=127.0.0.1",
      `--secure-port=${port}`,
      `--tls-cert-file=${serving.cert}`,
      `--tls-private-key-file=${serving.key}`,
      // The token controller signs legacy service-account tokens with the key the member's apiserver verifies,
      // and puts the member's CA beside them.
      `--service-account-private-key-file=${sa.key}`,
      `--root-ca-file=${pki.ca.cert}`,
      // Deleting a namespace walks every resource type with a list and a delete-collection each: the default
      // 20 requests/s makes that take seconds; the member's apiserver is local.
      "--kube-api-qps=100",
      "--kube-api-burst=200",
      "--concurrent-namespace-syncs=2",
      "--concurrent-gc-syncs=5",
      // Few workers each: a member runs a handful of workloads, and three members share 2 cores.
      "--concurrent-deployment-syncs=2",
      "--concurrent-replicaset-syncs=2",
      "--concurrent-daemonset-syncs=1",
      "--concurrent-job-syncs=2",
      "--concurrent-endpoint-syncs=2",
      "--concurrent-service-endpoint-syncs=2",
      "--concurrent-serviceaccount-token-syncs=1",
      "--profiling=false",
      "--v=1",
    ],
  });
  // /healthz answers as soon as it serves; the per-controller checks are added once the controllers run.
  await readyOrStop(
    proc,
    async () => {
      const res = await httpGet(`https://127.0.0.1:${port}/healthz?verbose`, { ca: pki.ca.cert });
      return res.status === 200 && CONTROLLERS.every((c) => res.body.includes(`[+]${c} ok`));
    },
    timeoutMs,
  );
  return { proc, info: { member: member.name, port }, startupMs: Date.now() - started };
}

export interface SchedulerInfo {
  member: string;
  /** HTTPS port of its /readyz. */
  port: number;
}

/** The kube-scheduler of one member cluster: it binds the member's pods to its kwok nodes. */
export async function startScheduler(
  bin: BinaryPaths,
  runDir: string,
  pki: Pki,
  member: MemberInfo,
  port: number,
  timeoutMs: number,
): Promise<Started<SchedulerInfo>> {
  const dir = join(runDir, "kube", member.name);
  mkdirSync(dir, { recursive: true });
  const serving = pki.issue(`${member.name}-scheduler-serving`, {
    cn: `kube-scheduler-${member.name}`,
    sans: ["IP:127.0.0.1", "DNS:localhost"],
  });
  // The bootstrap roles of system:kube-scheduler cover what it does: no system:masters needed.
  const kubeconfig = componentKubeconfig(pki, member, dir, "kube-scheduler", "system:kube-scheduler");
  const started = Date.now();
  const proc = startProcess({
    name: `kube-scheduler-${member.name}`,
    command: bin.kubeScheduler,
    runDir,
    args: [
      `--kubeconfig=${kubeconfig}`,
      "--leader-elect=false",
      "--bind-address=127.0.0.1",
      `--secure-port=${port}`,
      `--tls-cert-file=${serving.cert}`,
      `--tls-private-key-file=${serving.key}`,
      "--kube-api-qps=50",
      "--kube-api-burst=100",
      "--profiling=false",
      "--v=1",
    ],
  });
  // /readyz includes the check that its informers have synced: before that it schedules nothing.
  await readyOrStop(
    proc,
    async () => (await httpGet(`https://127.0.0.1:${port}/readyz`, { ca: pki.ca.cert })).status === 200,
    timeoutMs,
  );
  return { proc, info: { member: member.name, port }, startupMs: Date.now() - started };
}
