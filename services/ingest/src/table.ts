/**
 * Server-side printing: `kubectl get` asks for a meta.k8s.io Table so that each kind shows its own columns
 * (READY, UP-TO-DATE, ... for Deployments; STATUS, REGION, ZONE for Clusters). Columns with priority 1
 * appear only with `-o wide`.
 */
import type { ResourceType } from "./resources.ts";

type Obj = Record<string, any>;

interface Column {
  name: string;
  type: "string" | "integer" | "date";
  format?: string;
  description: string;
  priority: 0 | 1;
  cell: (o: Obj, now: number) => string | number;
}

/** Kubernetes' short human duration: 45s, 12m, 5h, 3d, 2y. */
export function humanAge(fromIso: string | undefined, now: number): string {
  if (!fromIso) return "<unknown>";
  const s = Math.max(0, Math.floor((now - Date.parse(fromIso)) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ""}`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  return d < 365 * 2 ? `${d}d` : `${Math.floor(d / 365)}y`;
}

const col = (name: string, cell: Column["cell"], o: Partial<Column> = {}): Column => ({
  name,
  type: "string",
  description: name,
  priority: 0,
  cell,
  ...o,
});
const wide = (name: string, cell: Column["cell"]) => col(name, cell, { priority: 1 });
const name = col("Name", (o) => o.metadata?.name ?? "", {
  format: "name",
  description: "Name must be unique within a namespace.",
});
const age = col("Age", (o, now) => humanAge(o.metadata?.creationTimestamp, now), {
  description: "CreationTimestamp is a timestamp representing the server time when this object was created.",
});
const n = (v: unknown) => (typeof v === "number" ? v : 0);
const containers = (o: Obj): Obj[] =>
  o.spec?.template?.spec?.containers ?? o.spec?.jobTemplate?.spec?.template?.spec?.containers ?? [];
const names = (o: Obj) =>
  containers(o)
    .map((c) => c.name)
    .join(",");
const images = (o: Obj) =>
  containers(o)
    .map((c) => c.image)
    .join(",");
const selector = (o: Obj) =>
  Object.entries((o.spec?.selector?.matchLabels ?? o.spec?.selector ?? {}) as Record<string, string>)
    .filter(([, v]) => typeof v === "string")
    .map(([k, v]) => `${k}=${v}`)
    .join(",") || "<none>";
const condition = (o: Obj, type: string) => (o.status?.conditions ?? []).find((c: Obj) => c.type === type);

const COLUMNS: Record<string, Column[]> = {
  Namespace: [name, col("Status", (o) => o.status?.phase ?? "Active"), age],
  ConfigMap: [
    name,
    col("Data", (o) => Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length, { type: "integer" }),
    age,
  ],
  Secret: [
    name,
    col("Type", (o) => o.type ?? "Opaque"),
    col("Data", (o) => Object.keys(o.data ?? {}).length, { type: "integer" }),
    age,
  ],
  Service: [
    name,
    col("Type", (o) => o.spec?.type ?? "ClusterIP"),
    col("Cluster-IP", (o) => o.spec?.clusterIP ?? "<none>"),
    col(
      "External-IP",
      (o) =>
        (o.status?.loadBalancer?.ingress ?? []).map((i: Obj) => i.ip ?? i.hostname).join(",") ||
        (o.spec?.type === "LoadBalancer" ? "<pending>" : "<none>"),
    ),
    col(
      "Port(s)",
      (o) =>
        (o.spec?.ports ?? [])
          .map((p: Obj) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ""}/${p.protocol ?? "TCP"}`)
          .join(",") || "<none>",
    ),
    age,
    wide(
      "Selector",
      (o) =>
        Object.entries(o.spec?.selector ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(",") || "<none>",
    ),
  ],
  Deployment: [
    name,
    col("Ready", (o) => `${n(o.status?.readyReplicas)}/${o.spec?.replicas ?? 1}`),
    col("Up-to-date", (o) => n(o.status?.updatedReplicas), { type: "integer" }),
    col("Available", (o) => n(o.status?.availableReplicas), { type: "integer" }),
    age,
    wide("Containers", names),
    wide("Images", images),
    wide("Selector", selector),
  ],
  ReplicaSet: [
    name,
    col("Desired", (o) => o.spec?.replicas ?? 1, { type: "integer" }),
    col("Current", (o) => n(o.status?.replicas), { type: "integer" }),
    col("Ready", (o) => n(o.status?.readyReplicas), { type: "integer" }),
    age,
    wide("Containers", names),
    wide("Images", images),
    wide("Selector", selector),
  ],
  DaemonSet: [
    name,
    col("Desired", (o) => n(o.status?.desiredNumberScheduled), { type: "integer" }),
    col("Current", (o) => n(o.status?.currentNumberScheduled), { type: "integer" }),
    col("Ready", (o) => n(o.status?.numberReady), { type: "integer" }),
    col("Up-to-date", (o) => n(o.status?.updatedNumberScheduled), { type: "integer" }),
    col("Available", (o) => n(o.status?.numberAvailable), { type: "integer" }),
    age,
    wide("Containers", names),
    wide("Images", images),
  ],
  Job: [
    name,
    col("Status", (o) =>
      condition(o, "Complete")?.status === "True"
        ? "Complete"
        : condition(o, "Failed")?.status === "True"
          ? "Failed"
          : "Running",
    ),
    col("Completions", (o) => `${n(o.status?.succeeded)}/${o.spec?.completions ?? 1}`),
    age,
    wide("Containers", names),
    wide("Images", images),
  ],
  Ingress: [
    name,
    col("Class", (o) => o.spec?.ingressClassName ?? "<none>"),
    col("Hosts", (o) => (o.spec?.rules ?? []).map((r: Obj) => r.host ?? "*").join(",") || "*"),
    col("Address", (o) => (o.status?.loadBalancer?.ingress ?? []).map((i: Obj) => i.ip ?? i.hostname).join(",")),
    col("Ports", (o) => ((o.spec?.tls ?? []).length > 0 ? "80, 443" : "80")),
    age,
  ],
  HorizontalPodAutoscaler: [
    name,
    col("Reference", (o) => `${o.spec?.scaleTargetRef?.kind}/${o.spec?.scaleTargetRef?.name}`),
    col("MinPods", (o) => o.spec?.minReplicas ?? 1, { type: "integer" }),
    col("MaxPods", (o) => o.spec?.maxReplicas ?? 0, { type: "integer" }),
    col("Replicas", (o) => n(o.status?.currentReplicas), { type: "integer" }),
    age,
  ],
  Event: [
    col("Last Seen", (o, now) => humanAge(o.lastTimestamp ?? o.eventTime ?? o.metadata?.creationTimestamp, now)),
    col("Type", (o) => o.type ?? ""),
    col("Reason", (o) => o.reason ?? ""),
    col("Object", (o) => `${String(o.involvedObject?.kind ?? "").toLowerCase()}/${o.involvedObject?.name ?? ""}`),
    col("Message", (o) => o.message ?? ""),
  ],
  Cluster: [
    name,
    col("Status", (o) => {
      const ready = condition(o, "Ready");
      return ready ? (ready.status === "True" ? "Ready" : "Offline") : "Unknown";
    }),
    col("Region", (o) => o.status?.region ?? o.metadata?.labels?.["topology.kubernetes.io/region"] ?? "<none>"),
    col(
      "Zones",
      (o) => (o.status?.zones ?? []).join(",") || (o.metadata?.labels?.["topology.kubernetes.io/zone"] ?? "<none>"),
    ),
    age,
    wide("Server", (o) => o.spec?.serverAddressByClientCIDRs?.[0]?.serverAddress ?? ""),
  ],
};

/** True when the Accept header asks for a meta.k8s.io/v1 Table. */
export function wantsTable(accept: string | undefined): boolean {
  return (accept ?? "")
    .split(",")
    .some((m) => /as=Table/.test(m) && /g=meta\.k8s\.io/.test(m) && /v=v1(;|$|\s)/.test(m));
}

/** Converts objects of one kind to a Table (rows carry the object's metadata, as includeObject=Metadata). */
export function toTable(
  rt: ResourceType,
  items: Obj[],
  resourceVersion: string,
  now: number,
  includeObject = "Metadata",
): Obj {
  const cols = COLUMNS[rt.kind] ?? [name, age];
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: { resourceVersion },
    columnDefinitions: cols.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? "",
      description: c.description,
      priority: c.priority,
    })),
    rows: items.map((o) => ({
      cells: cols.map((c) => c.cell(o, now)),
      object:
        includeObject === "Object"
          ? o
          : includeObject === "None"
            ? null
            : { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: o.metadata },
    })),
  };
}
