/**
 * Simulated nodes of a member cluster: the environment registers Node objects labelled with region and zone, as a
 * cloud's kubelets would, and kwok (sigs.k8s.io/kwok) keeps them Ready (status and leases) and plays the
 * lifecycle of the pods scheduled onto them: Running and Ready with an IP from the node's pod range, Succeeded
 * for a Job's pods, gone once deleted. No container runs.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import type { MemberInfo, Started } from "./components.ts";
import { componentKubeconfig } from "./controlplane.ts";
import { LocalEnvError } from "./errors.ts";
import type { Pki } from "./pki.ts";
import { startProcess } from "./process.ts";
import { httpGet, httpRequest, readyOrStop } from "./ready.ts";
import type { BinaryPaths } from "./versions.ts";

export const REGION_LABEL = "topology.kubernetes.io/region";
export const ZONE_LABEL = "topology.kubernetes.io/zone";
/** Marks the nodes the environment registered for a member (value: the member's name); kwok manages those. */
const NODE_LABEL = "kubefed.io/simulated-node";

/** Where a member's nodes are: one region, nodes spread over the zones in turn. */
export interface MemberTopology {
  region: string;
  zones: string[];
}

/**
 * Member `index`'s default: region r1, r2, ... with one zone (r1-a), so that every node agrees and
 * `kubefed join` finds both region and zone, as on a cloud cluster that lives in one zone.
 */
export function defaultTopology(index: number): MemberTopology {
  const region = `r${index + 1}`;
  return { region, zones: [`${region}-a`] };
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The Node objects of member `index` (its position in the environment: it picks the address ranges). */
export function nodeObjects(
  member: string,
  index: number,
  count: number,
  topology: MemberTopology,
): Record<string, unknown>[] {
  if (!Number.isInteger(count) || count < 1 || count > 250)
    throw new LocalEnvError(`kwok-${member}`, `${count} nodes asked for`, "give 1 to 250 nodes per member");
  const bad = [topology.region, ...topology.zones].find((v) => !DNS_LABEL.test(v) || v.length > 63);
  if (topology.zones.length === 0 || bad !== undefined) {
    throw new LocalEnvError(
      `kwok-${member}`,
      `region "${topology.region}" and zones [${topology.zones.join(", ")}] are not valid label values`,
      "give a region and at least one zone, each lower-case letters, digits and '-'",
    );
  }
  return Array.from({ length: count }, (_, n) => {
    const name = `${member}-node-${n}`;
    // Per member: node addresses 172.20+i.0.n+1, pod ranges 10.100+i.n.0/24 (distinct across members, so an
    // endpoint's address says where it runs).
    const podCIDR = `10.${100 + index}.${n}.0/24`;
    return {
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name,
        labels: {
          "kubernetes.io/hostname": name,
          "kubernetes.io/os": "linux",
          "kubernetes.io/arch": "amd64",
          [REGION_LABEL]: topology.region,
          [ZONE_LABEL]: topology.zones[n % topology.zones.length]!,
          [NODE_LABEL]: member,
        },
        annotations: { "node.alpha.kubernetes.io/ttl": "0" },
      },
      spec: { podCIDR, podCIDRs: [podCIDR] },
      status: {
        addresses: [
          { type: "InternalIP", address: `172.${20 + index}.0.${n + 1}` },
          { type: "Hostname", address: name },
        ],
        // A modest machine: the scheduler spreads pods as it would on real nodes of this size.
        capacity: { cpu: "8", memory: "32Gi", pods: "110" },
        allocatable: { cpu: "8", memory: "32Gi", pods: "110" },
      },
    };
  });
}

/**
 * kwok's stages (its Stage API, kwok.x-k8s.io/v1alpha1): how a node and a pod move from one state to the next.
 * Templates are Go templates over the object, with kwok's functions (Now, NodeConditions, PodIPsWith...).
 */
export function kwokStages(): string {
  const stage = (
    name: string,
    kind: "Node" | "Pod",
    selector: { key: string; operator: string; values?: string[] }[],
    next: Record<string, unknown>,
    delay?: Record<string, number>,
  ) => ({
    apiVersion: "kwok.x-k8s.io/v1alpha1",
    kind: "Stage",
    metadata: { name },
    spec: {
      resourceRef: { apiGroup: "v1", kind },
      selector: { matchExpressions: selector },
      ...(delay ? { delay } : {}),
      next,
    },
  });
  const notReady = {
    key: '.status.conditions.[] | select( .type == "Ready" ) | .status',
    operator: "NotIn",
    values: ["True"],
  };
  const alive = { key: ".metadata.deletionTimestamp", operator: "DoesNotExist" };
  const conditions = [
    "conditions:",
    "{{ range NodeConditions }}",
    "- type: {{ .type | Quote }}",
    "  status: {{ .status | Quote }}",
    "  reason: {{ .reason | Quote }}",
    "  message: {{ .message | Quote }}",
    "  lastHeartbeatTime: {{ Now | Quote }}",
    "  lastTransitionTime: {{ or $.metadata.creationTimestamp Now | Quote }}",
    "{{ end }}",
  ];
  const nodeReady = [
    ...conditions,
    "nodeInfo:",
    "  architecture: amd64",
    "  operatingSystem: linux",
    '  kubeletVersion: {{ printf "kwok-%s" Version | Quote }}',
    '  kubeProxyVersion: {{ printf "kwok-%s" Version | Quote }}',
    '  containerRuntimeVersion: {{ printf "kwok-%s" Version | Quote }}',
    '  kernelVersion: {{ printf "kwok-%s" Version | Quote }}',
    "  osImage: kwok",
    "  machineID: ''",
    "  bootID: ''",
    "  systemUUID: ''",
    "phase: Running",
  ].join("\n");
  const podReady = [
    "phase: Running",
    "startTime: {{ Now | Quote }}",
    "conditions:",
    '{{ range list "PodScheduled" "Initialized" "PodReadyToStartContainers" "ContainersReady" "Ready" }}',
    "- type: {{ . }}",
    "  status: 'True'",
    "  lastTransitionTime: {{ Now | Quote }}",
    "{{ end }}",
    "{{ range $.spec.readinessGates }}",
    "- type: {{ .conditionType | Quote }}",
    "  status: 'True'",
    "  lastTransitionTime: {{ Now | Quote }}",
    "{{ end }}",
    "containerStatuses:",
    "{{ range .spec.containers }}",
    "- name: {{ .name | Quote }}",
    "  image: {{ .image | Quote }}",
    "  ready: true",
    "  started: true",
    "  restartCount: 0",
    "  state: {running: {startedAt: {{ Now | Quote }}}}",
    "{{ end }}",
    "{{ with NodeIPsWith .spec.nodeName }}",
    "hostIP: {{ index . 0 | Quote }}",
    "hostIPs: [{{ range $i, $ip := . }}{{ if $i }}, {{ end }}{ip: {{ $ip | Quote }}}{{ end }}]",
    "{{ end }}",
    '{{ with PodIPsWith .spec.nodeName (or .spec.hostNetwork false) (or .metadata.uid "") (or .metadata.name "") (or .metadata.namespace "") }}',
    "podIP: {{ index . 0 | Quote }}",
    "podIPs: [{{ range $i, $ip := . }}{{ if $i }}, {{ end }}{ip: {{ $ip | Quote }}}{{ end }}]",
    "{{ end }}",
  ].join("\n");
  const podSucceeded = [
    "phase: Succeeded",
    "containerStatuses:",
    "{{ range .spec.containers }}",
    "- name: {{ .name | Quote }}",
    "  image: {{ .image | Quote }}",
    "  ready: false",
    "  started: false",
    "  restartCount: 0",
    "  state: {terminated: {exitCode: 0, reason: Completed, startedAt: {{ Now | Quote }}, finishedAt: {{ Now | Quote }}}}",
    "{{ end }}",
  ].join("\n");
  const stages = [
    stage("node-ready", "Node", [notReady], { statusTemplate: nodeReady }),
    // Leases say the node is alive (kwok renews them); the status heartbeat only keeps the conditions' times
    // plausible for whoever reads them: every few minutes, spread out.
    stage(
      "node-heartbeat",
      "Node",
      [
        { key: ".status.phase", operator: "In", values: ["Running"] },
        { ...notReady, operator: "In" },
      ],
      { statusTemplate: conditions.join("\n") },
      { durationMilliseconds: 120_000, jitterDurationMilliseconds: 180_000 },
    ),
    stage("pod-running", "Pod", [alive, { key: ".status.phase", operator: "In", values: ["Pending"] }, notReady], {
      statusTemplate: podReady,
    }),
    // A Job's pods run to completion at once: the job controller counts them Succeeded.
    stage(
      "pod-succeeded",
      "Pod",
      [
        alive,
        { key: ".status.phase", operator: "In", values: ["Running"] },
        { key: ".metadata.ownerReferences.[].kind", operator: "In", values: ["Job"] },
      ],
      { statusTemplate: podSucceeded },
    ),
    // What the kubelet does once a pod's containers have stopped: the pod object goes.
    stage("pod-deleted", "Pod", [{ key: ".metadata.deletionTimestamp", operator: "Exists" }], { delete: true }),
  ];
  return stages.map((s) => stringify(s)).join("---\n");
}

export interface KwokInfo {
  member: string;
  nodes: string[];
  topology: MemberTopology;
}

/** Registers member `index`'s nodes, then starts kwok for them; ready once every node is Ready. */
export async function startKwok(
  bin: BinaryPaths,
  runDir: string,
  pki: Pki,
  member: MemberInfo,
  index: number,
  opts: { nodes: number; topology: MemberTopology },
  timeoutMs: number,
): Promise<Started<KwokInfo>> {
  const name = `kwok-${member.name}`;
  const nodes = nodeObjects(member.name, index, opts.nodes, opts.topology);
  const dir = join(runDir, "kwok", member.name);
  mkdirSync(dir, { recursive: true });
  const stages = join(dir, "stages.yaml");
  writeFileSync(stages, kwokStages());
  // It writes node and pod status, leases, and deletes pods: the kubelets' work, without a node identity each.
  const kubeconfig = componentKubeconfig(pki, member, dir, "kwok", "kwok-controller", "system:masters");
  const tls = { ca: member.caFile, cert: member.clientCert, key: member.clientKey };
  for (const node of nodes) {
    const res = await httpRequest("POST", `${member.server}/api/v1/nodes`, {
      tls,
      body: JSON.stringify(node),
      timeoutMs: 10_000,
    });
    const nodeName = (node.metadata as { name: string }).name;
    // 409: registered by an earlier start of the same member (its etcd data stays).
    if (res.status !== 201 && res.status !== 409)
      throw new LocalEnvError(
        name,
        `registering node ${nodeName} answered ${res.status}`,
        "see the member's kube-apiserver log",
        res.body.slice(0, 500),
      );
    // Admission (TaintNodesByCondition) gives a new node the not-ready taint, which the node-lifecycle controller
    // lifts once the node is Ready; members run without that controller (docs/local-environment.md), and kwok
    // makes the node Ready at once.
    const untaint = await httpRequest("PATCH", `${member.server}/api/v1/nodes/${nodeName}`, {
      tls,
      body: JSON.stringify({ spec: { taints: null } }),
      contentType: "application/merge-patch+json",
      timeoutMs: 10_000,
    });
    if (untaint.status !== 200)
      throw new LocalEnvError(
        name,
        `clearing the taints of node ${nodeName} answered ${untaint.status}`,
        "see the member's kube-apiserver log",
        untaint.body.slice(0, 500),
      );
  }
  const started = Date.now();
  const proc = startProcess({
    name,
    command: bin.kwok,
    runDir,
    cwd: dir,
    // kwok reads ~/.kwok/kwok.yaml when it exists: a HOME of its own keeps a user's kwok setup out.
    env: { ...process.env, HOME: dir },
    args: [
      `--kubeconfig=${kubeconfig}`,
      `--config=${stages}`,
      `--manage-nodes-with-label-selector=${NODE_LABEL}=${member.name}`,
      "--node-lease-duration-seconds=40",
      "--v=WARN",
    ],
  });
  const names = nodes.map((n) => (n.metadata as { name: string }).name);
  await readyOrStop(
    proc,
    async () => {
      const res = await httpGet(
        `${member.server}/api/v1/nodes?labelSelector=${encodeURIComponent(`${NODE_LABEL}=${member.name}`)}`,
        tls,
      );
      if (res.status !== 200) return false;
      const items = (
        JSON.parse(res.body) as {
          items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[];
        }
      ).items;
      const ready = new Set(
        items
          .filter((n) => n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"))
          .map((n) => n.metadata.name),
      );
      return names.every((n) => ready.has(n));
    },
    timeoutMs,
  );
  return {
    proc,
    info: { member: member.name, nodes: names, topology: opts.topology },
    startupMs: Date.now() - started,
  };
}
