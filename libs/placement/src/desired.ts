// What a member cluster should have for a federated object: what the federation user wrote, minus everything the
// server or the member owns, plus the ownership label and a hash of the whole (so that a field the user removed
// is noticed, which a subset comparison alone cannot see).
import type { JsonObject, JsonValue, KubeObject } from "@kubefed/events";
import { OWNED_BY_LABEL } from "@kubefed/names";
import { sha256Hex } from "./sha256.ts";

/** Hash of the desired object (without this annotation) the member was last given; see `withDesiredHash`. */
export const DESIRED_HASH_ANNOTATION = "federation.kubernetes.io/desired-hash";

/** The only metadata pushed; uid, resourceVersion, managedFields, ownerReferences, finalizers... belong to the member. */
const KEPT_METADATA = ["name", "namespace", "labels", "annotations"] as const;

/**
 * Annotations never pushed. kubectl's last-applied-configuration would make a `kubectl apply` against the member
 * compute its three-way diff from the federation's history; the Deployment revision is the member controller's
 * counter (pushing it would fight that controller forever). The cluster-selector annotation IS pushed: harmless
 * to the member, and it tells someone looking at the member object why it is there.
 */
const DROPPED_ANNOTATIONS = ["kubectl.kubernetes.io/last-applied-configuration", "deployment.kubernetes.io/revision"];

/** Labels a member's Job controller puts on the pod template (with the Job's uid) unless spec.manualSelector. */
const JOB_GENERATED_LABELS = [
  "controller-uid",
  "job-name",
  "batch.kubernetes.io/controller-uid",
  "batch.kubernetes.io/job-name",
];

const isObject = (v: JsonValue | undefined): v is JsonObject =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const groupOf = (apiVersion: JsonValue | undefined): string | undefined =>
  typeof apiVersion !== "string"
    ? undefined
    : apiVersion.includes("/")
      ? apiVersion.slice(0, apiVersion.indexOf("/"))
      : "";

function deleteIfEmpty(parent: JsonObject, key: string): void {
  const v = parent[key];
  if (isObject(v) && Object.keys(v).length === 0) delete parent[key];
}

/** The object the member should have: a deep copy of `object` without server- and member-owned fields. */
export function desiredForMember(object: KubeObject, opts: { federation: string }): KubeObject {
  const out = structuredClone(object);
  delete out.status;

  const source = isObject(out.metadata) ? out.metadata : {};
  const metadata: JsonObject = {};
  for (const k of KEPT_METADATA) if (source[k] !== undefined) metadata[k] = source[k];
  metadata.labels = { ...(isObject(metadata.labels) ? metadata.labels : {}), [OWNED_BY_LABEL]: opts.federation };
  if (isObject(metadata.annotations)) {
    for (const a of DROPPED_ANNOTATIONS) delete metadata.annotations[a];
    deleteIfEmpty(metadata, "annotations");
  }
  out.metadata = metadata;

  const spec = out.spec;
  if (!isObject(spec)) return out;
  const group = groupOf(out.apiVersion);
  if (group === "" && out.kind === "Service") dropServiceAllocations(spec);
  else if (group === "batch" && out.kind === "Job") dropJobGenerated(spec);
  else if (group === "" && out.kind === "Namespace") {
    // The member's namespace controller owns spec.finalizers ("kubernetes").
    delete spec.finalizers;
    deleteIfEmpty(out, "spec");
  }
  return out;
}

/**
 * Every member allocates its own cluster IPs, node ports and IP families; another cluster's values are at best
 * meaningless and at worst a conflict there. A headless Service (clusterIP "None") keeps that: it is the user's
 * choice, not an allocation, and dropping it would turn the Service into a ClusterIP one.
 */
function dropServiceAllocations(spec: JsonObject): void {
  const headless = spec.clusterIP === "None";
  if (!headless) delete spec.clusterIP;
  const ips = spec.clusterIPs;
  if (!(headless && Array.isArray(ips) && ips.every((ip) => ip === "None"))) delete spec.clusterIPs;
  delete spec.healthCheckNodePort;
  delete spec.ipFamilies;
  delete spec.ipFamilyPolicy;
  if (Array.isArray(spec.ports)) for (const p of spec.ports) if (isObject(p)) delete p.nodePort;
}

/** Unless the user chose the selector (manualSelector), the member's Job controller generates it and its labels. */
function dropJobGenerated(spec: JsonObject): void {
  if (spec.manualSelector === true) return;
  delete spec.selector;
  const template = spec.template;
  const tm = isObject(template) ? template.metadata : undefined;
  if (!isObject(tm) || !isObject(tm.labels)) return;
  for (const l of JOB_GENERATED_LABELS) delete tm.labels[l];
  deleteIfEmpty(tm, "labels");
}

/** JSON with object keys sorted at every level, so equal objects give equal text whatever their key order. */
export function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as JsonValue)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The hash `withDesiredHash` puts on `desired`: sha256 hex (16 chars) of its canonical JSON without the hash itself. */
export function desiredHash(desired: KubeObject): string {
  const copy = structuredClone(desired);
  if (isObject(copy.metadata) && isObject(copy.metadata.annotations)) {
    delete copy.metadata.annotations[DESIRED_HASH_ANNOTATION];
    deleteIfEmpty(copy.metadata, "annotations"); // so that adding the hash twice gives the same hash
  }
  return sha256Hex(canonicalJson(copy)).slice(0, 16);
}

/**
 * A copy of `desired` carrying DESIRED_HASH_ANNOTATION. Any change to desired, including a removed field, changes
 * the annotation, so the subset check of `isConverged` sees it even where the member still has the old field.
 */
export function withDesiredHash(desired: KubeObject): KubeObject {
  const out = structuredClone(desired);
  const metadata = isObject(out.metadata) ? out.metadata : (out.metadata = {});
  const annotations = isObject(metadata.annotations) ? metadata.annotations : (metadata.annotations = {});
  annotations[DESIRED_HASH_ANNOTATION] = desiredHash(desired);
  return out;
}
