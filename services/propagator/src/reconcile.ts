/**
 * reconcile(cluster, key): level-based and idempotent. Compares what the federation wants in this member (the
 * projection's object, placement applied) with what the member has, and closes the gap: server-side apply, or
 * delete of what the federation owns and no longer places there. Objects the federation does not own are never
 * touched. Safe to run twice, in any order, at any time.
 */
import {
  ErrorCode,
  FederationError,
  ObservedOutcome,
  type JsonObject,
  type KubeObject,
  type ObjectObservedReport,
  type ObjectRef,
} from "@kubefed/events";
import { FEDERATION_SYSTEM_NAMESPACE, apiVersionOf, isOwnedBy } from "@kubefed/names";
import {
  desiredForMember,
  isConverged,
  isDivided,
  isImmutableFieldError,
  isPlaced,
  memberKind,
  OVERRIDES_ANNOTATION,
  planOf,
  withDesiredHash,
  withOverrides,
  withPlan,
  type ClusterFacts,
  type MemberKind,
  type ReplicaPlan,
} from "@kubefed/placement";
import { namespaceKey, parseObjectKey } from "./keys.ts";
import type { Member } from "./member.ts";

export interface ReconcileContext {
  readonly federation: string;
  readonly cluster: string;
  readonly clusterLabels: Readonly<Record<string, string>>;
  readonly member: Member;
  /** The federated object under a key, from the projection. */
  desired(key: string): KubeObject | undefined;
  /** Every federated object in a namespace (to keep a namespace wherever something in it is placed). */
  inNamespace(namespace: string): KubeObject[];
  /**
   * Every member cluster of the federation as the objects log records it (labels, the scheduling decision),
   * with a version that changes whenever one does: replica division reads all of them, and because they come
   * from the log, every worker divides the same way at the same offset.
   */
  clusters(): { readonly version: string; readonly facts: readonly ClusterFacts[] };
  /** The member's copy when the caller already has it (from a watch event): saves a GET. */
  readonly actual?: KubeObject | null;
  /** Told the member's resourceVersion of every object this reconcile wrote (its watch will echo it). */
  readonly wrote?: (key: string, resourceVersion: string) => void;
}

/** What reconcile did, as reported on the status topic (null: nothing of ours there and nothing wanted). */
export type ReconcileResult = Omit<ObjectObservedReport, "type" | "cluster" | "time" | "worker"> | null;

const meta = (o: KubeObject) =>
  (o.metadata ?? {}) as {
    name?: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    generation?: number;
    resourceVersion?: string;
  };

function refOf(kind: MemberKind, namespace: string | null, name: string): ObjectRef {
  return { group: kind.group, version: kind.version, kind: kind.kind, namespace, name };
}

/** The desired member object for `key`, or undefined when the federation does not place it in this cluster. */
export type PlacementContext = Pick<
  ReconcileContext,
  "federation" | "cluster" | "clusterLabels" | "desired" | "inNamespace" | "clusters"
>;

export function desiredIn(ctx: PlacementContext, key: string): KubeObject | undefined {
  const fed = ctx.desired(key);
  if (!fed) return undefined;
  // The federation's own system namespace (member credentials) never leaves the federation.
  const { group: g, kind: k, namespace: n, name: nm } = parseObjectKey(key);
  if (n === FEDERATION_SYSTEM_NAMESPACE || (g === "" && k === "Namespace" && nm === FEDERATION_SYSTEM_NAMESPACE))
    return undefined;
  if (!isPlaced(fed, ctx.clusterLabels)) {
    // A Namespace stays wherever an object in it is placed, whatever its own selector says.
    const { group, kind, name } = parseObjectKey(key);
    const needed =
      group === "" && kind === "Namespace" && ctx.inNamespace(name).some((o) => isPlaced(o, ctx.clusterLabels));
    if (!needed) return undefined;
  }
  // Federated objects in a namespace the federation is deleting are on their way out.
  if ((fed.metadata as { deletionTimestamp?: string } | undefined)?.deletionTimestamp) return undefined;
  const copy = memberCopy(fed, ctx.federation);
  if (!isDivided(fed)) return hasOverrides(fed) ? clusterCopy(fed, copy, ctx.cluster, ctx.federation) : copy;
  const clusters = ctx.clusters();
  const share = planFor(fed, key, clusters).clusters[ctx.cluster];
  if (!share) return undefined;
  return clusterCopy(fed, withPlan(copy, share), ctx.cluster, `${ctx.federation}/${clusters.version}`);
}

const hasOverrides = (o: KubeObject) =>
  Object.hasOwn((o.metadata as { annotations?: object } | undefined)?.annotations ?? {}, OVERRIDES_ANNOTATION);

/** Copies per cluster, for the clusters version they were made with (hashing is the costly part). */
const clusterCopies = new WeakMap<KubeObject, Map<string, { version: string; copy: KubeObject }>>();

/** The copy with this cluster's override applied after division, hashed again. */
function clusterCopy(fed: KubeObject, copy: KubeObject, cluster: string, version: string): KubeObject {
  let byCluster = clusterCopies.get(fed);
  if (!byCluster) clusterCopies.set(fed, (byCluster = new Map()));
  const hit = byCluster.get(cluster);
  if (hit && hit.version === version) return hit.copy;
  const out = withDesiredHash(withOverrides(fed, copy, cluster));
  byCluster.set(cluster, { version, copy: out });
  return out;
}

/** Plans by object, for the clusters version they were made with: every cluster of a worker asks for the same one. */
const plans = new WeakMap<KubeObject, { version: string; key: string; plan: ReplicaPlan }>();
function planFor(
  fed: KubeObject,
  key: string,
  clusters: { readonly version: string; readonly facts: readonly ClusterFacts[] },
): ReplicaPlan {
  const hit = plans.get(fed);
  if (hit && hit.version === clusters.version && hit.key === key) return hit.plan;
  const plan = planOf(fed, key, clusters.facts)!;
  plans.set(fed, { version: clusters.version, key, plan });
  return plan;
}

/**
 * The member copy of a federated object does not depend on the cluster (placement is decided apart), and the
 * projection's objects are immutable and replaced on change: compute it once per object, not once per cluster.
 */
const memberCopies = new WeakMap<KubeObject, { federation: string; copy: KubeObject }>();
function memberCopy(fed: KubeObject, federation: string): KubeObject {
  const hit = memberCopies.get(fed);
  if (hit && hit.federation === federation) return hit.copy;
  const copy = withDesiredHash(desiredForMember(fed, { federation }));
  memberCopies.set(fed, { federation, copy });
  return copy;
}

export async function reconcile(ctx: ReconcileContext, key: string): Promise<ReconcileResult> {
  return reconcileOnce(ctx, key, 0);
}

/** Reads of the member object after a write found it changed under us (a stale cache, a concurrent edit). */
const MAX_REREADS = 2;

async function reconcileOnce(ctx: ReconcileContext, key: string, rereads: number): Promise<ReconcileResult> {
  const { group, kind: kindName, namespace, name } = parseObjectKey(key);
  const kind = memberKind({ group, kind: kindName });
  if (!kind) return null;
  const ref = refOf(kind, namespace, name);
  const fed = ctx.desired(key);
  const desired = desiredIn(ctx, key);
  const actual = ctx.actual !== undefined ? (ctx.actual ?? undefined) : await ctx.member.get(kind, namespace, name);
  const owned = actual !== undefined && isOwnedBy(meta(actual).labels, ctx.federation);
  // What we knew was stale: read the member again (`actual: undefined` makes the next round GET).
  const reread = () => {
    if (rereads >= MAX_REREADS)
      throw new FederationError(
        ErrorCode.Conflict,
        `${kind.kind} ${name} in cluster ${ctx.cluster} keeps changing; will retry`,
        { retryable: true },
      );
    return reconcileOnce({ ...ctx, actual: undefined }, key, rereads + 1);
  };

  if (!desired) {
    if (!actual || !owned) return null;
    await ctx.member.delete(kind, namespace, name, meta(actual).uid);
    return {
      ref,
      generation: 0,
      resourceVersion: "",
      outcome: ObservedOutcome.Removed,
      message: `removed from cluster ${ctx.cluster}`,
      created: false,
      status: null,
    };
  }

  const applied = {
    generation: Number(meta(fed!).generation ?? 0),
    resourceVersion: String(meta(fed!).resourceVersion ?? ""),
  };
  if (actual && !owned) {
    return {
      ref,
      ...applied,
      outcome: ObservedOutcome.Failed,
      message: `${kind.kind} ${namespace ? `${namespace}/` : ""}${name} already exists in cluster ${ctx.cluster} and is not owned by the federation; leaving it alone`,
      created: false,
      status: observedStatus(actual),
    };
  }
  if (actual && isConverged(desired, actual)) {
    return {
      ref,
      ...applied,
      outcome: ObservedOutcome.Applied,
      message: "unchanged",
      created: false,
      status: observedStatus(actual),
    };
  }
  let result: KubeObject;
  let created = actual === undefined;
  try {
    if (!actual) {
      // Absent: create it (cheaper for the member than an apply that creates).
      result = await withNamespace(ctx, kind, desired, () => ctx.member.create(kind, desired));
    } else {
      // Ours and different: server-side apply, once the federation's fields are Apply-owned.
      if (!(await ctx.member.claimAppliedFields(kind, actual))) return await reread();
      result = await ctx.member.apply(kind, desired);
    }
    ctx.wrote?.(key, String(meta(result).resourceVersion ?? ""));
  } catch (e) {
    if (FederationError.is(e, ErrorCode.AlreadyExists) && !actual) return reread();
    if (
      !FederationError.is(e, ErrorCode.Invalid) ||
      !actual ||
      !isImmutableFieldError({ message: e.message, details: { causes: [...e.fieldErrors] } })
    )
      throw e;
    // An immutable field changed (a Job's template, a Deployment's selector): replace the object, once.
    await ctx.member.delete(kind, namespace, name, meta(actual).uid);
    await waitGone(ctx.member, kind, namespace, name, meta(actual).uid);
    result = await ctx.member.create(kind, desired);
    ctx.wrote?.(key, String(meta(result).resourceVersion ?? ""));
    created = true;
  }
  return {
    ref,
    ...applied,
    outcome: ObservedOutcome.Applied,
    message: created ? `created in cluster ${ctx.cluster}` : `updated in cluster ${ctx.cluster}`,
    created,
    status: observedStatus(result),
  };
}

/** Runs a write; when the namespace is missing in the member, creates it (owned, as the federation's copy says) first. */
async function withNamespace(
  ctx: ReconcileContext,
  kind: MemberKind,
  desired: KubeObject,
  write: () => Promise<KubeObject>,
): Promise<KubeObject> {
  try {
    return await write();
  } catch (e) {
    const ns = meta(desired).namespace;
    if (!FederationError.is(e, ErrorCode.NotFound) || !kind.namespaced || !ns) throw e;
    const nsKind = memberKind({ group: "", kind: "Namespace" })!;
    // The federation's Namespace when it has one (even if its own placement leaves this cluster out: the
    // object placed here needs it), else a bare namespace; owned either way.
    const fedNs = ctx.desired(namespaceKey(ns)) ?? {
      apiVersion: apiVersionOf(nsKind),
      kind: "Namespace",
      metadata: { name: ns },
    };
    try {
      await ctx.member.create(nsKind, withDesiredHash(desiredForMember(fedNs, { federation: ctx.federation })));
    } catch (err) {
      // Created meanwhile (by another write of this namespace): fine.
      if (!FederationError.is(err, ErrorCode.AlreadyExists) && !FederationError.is(err, ErrorCode.Conflict)) throw err;
    }
    return write();
  }
}

async function waitGone(
  member: Member,
  kind: MemberKind,
  namespace: string | null,
  name: string,
  uid: string | undefined,
): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const o = await member.get(kind, namespace, name);
    if (!o || meta(o).uid !== uid) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new FederationError(
    ErrorCode.Conflict,
    `${kind.kind} ${name} in cluster ${member.cluster} is still being deleted`,
    { retryable: true },
  );
}

/**
 * The member's status of an object (null when it has none). An `observedGeneration` behind the member object's
 * generation is left out: the member's controller has not acted on the latest spec, and the federation must not
 * claim its counters are of that spec.
 */
export function observedStatus(o: KubeObject | undefined): JsonObject | null {
  const s = o?.status;
  if (!(s && typeof s === "object" && !Array.isArray(s) && Object.keys(s).length > 0)) return null;
  const { observedGeneration, ...rest } = s as JsonObject;
  const generation = meta(o!).generation;
  return typeof observedGeneration === "number" && typeof generation === "number" && observedGeneration < generation
    ? rest
    : (s as JsonObject);
}
