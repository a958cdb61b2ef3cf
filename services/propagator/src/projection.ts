/**
 * The worker's ONE projection of `<fed>.objects`: a log follower (libs/follower) running the same pure fold as the
 * ingest, so desired state here is exactly the federation's. Per-cluster consumers only learn which keys changed
 * from their own cursor; they read what is desired from here, after waiting until the projection has folded at
 * least that far.
 */
import type { FederationError, KubeObject, Keyring } from "@kubefed/events";
import {
  followObjects,
  outcomeOf,
  type ObjectsFollower,
  type ObjectsStep,
  type SnapshotLoader,
} from "@kubefed/follower";
import { objectIn, objectsOfKind, type FederationState } from "@kubefed/state";
import { CREDENTIALS_SERVER_KEY, FEDERATION_SYSTEM_NAMESPACE } from "@kubefed/names";
import { clusterFacts, isDivided, MEMBER_KINDS, type ClusterFacts } from "@kubefed/placement";
import type { TailSource } from "@kubefed/kafka";
import type { MemberEndpoint } from "./member.ts";

export const CLUSTER_KIND_KEY = "federation/Cluster";
/** Credentials are used for the address `kubefed join` recorded beside them only, whatever a Cluster says. */
const BOUND_SERVER_KEY = CREDENTIALS_SERVER_KEY;

const origin = (u: string) => {
  try {
    return new URL(/^https?:\/\//.test(u) ? u : `https://${u}`).origin;
  } catch {
    return undefined;
  }
};

/**
 * Why credentials must not be sent to `url`, or undefined when they were issued for it. A token without a bound
 * address (written by hand, or before joins recorded it) is refused too: nothing says where it may go.
 */
export function credentialsRefusal(url: string, boundTo: string | undefined, secret: string): string | undefined {
  if (boundTo === undefined)
    return `its credentials Secret ${secret} does not say which address they were issued for (key "${BOUND_SERVER_KEY}"); re-join the member with kubefed join --update`;
  if (origin(boundTo) !== origin(url))
    return `its credentials Secret ${secret} was issued for ${boundTo}, not for the Cluster's address ${url}: refusing to send them there (kubefed join --update moves a member to a new address)`;
  return undefined;
}

export interface ClusterInfo {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly endpoint: MemberEndpoint | undefined;
  /** Why the endpoint is missing (no server address, missing credentials Secret). */
  readonly problem?: string;
  /** Changes whenever the Cluster object or its credentials change. */
  readonly version: string;
}

/** Told the keys a fold changed, and the offset of the last event folded. */
export type ProjectionListener = (changedKeys: readonly string[], through: bigint) => void;

export class Projection {
  private readonly follower: ObjectsFollower;
  private readonly listeners = new Set<ProjectionListener>();
  /** Keys changed by recent events besides the event's own key (cascades), by offset; bounded. */
  private readonly extraChanges = new Map<string, readonly string[]>();

  constructor(
    kafka: TailSource,
    topic: string,
    keyring: Keyring | undefined,
    onPoison: (offset: string, err: FederationError) => void,
    /** Start from the latest snapshot of the objects state and fold only the tail. */
    snapshot?: SnapshotLoader<FederationState>,
  ) {
    this.follower = followObjects({
      source: kafka,
      topic,
      keyring,
      onSkipped: onPoison,
      ...(snapshot ? { snapshot } : {}),
    });
    this.follower.subscribe((steps, through) => this.announce(steps, through));
  }

  get current(): FederationState {
    return this.follower.state;
  }

  /** Next offset to fold (offset of the last folded event + 1). */
  get nextOffset(): bigint {
    return this.follower.next;
  }

  /** Events skipped as undecodable. */
  get poisonEvents(): number {
    return this.follower.skipped;
  }

  /** Folds the log up to its current end, then keeps tailing. */
  async start(): Promise<void> {
    await this.follower.start();
  }

  /** Stops tailing; a wait still pending is rejected. */
  async stop(): Promise<void> {
    await this.follower.stop();
  }

  /** Resolves once every event before `offset` is folded. */
  waitFor(offset: bigint): Promise<void> {
    return this.follower.waitFor(offset);
  }

  /** Keys an event changed besides its own (a Namespace deletion removes its contents): [] when none or too old. */
  changedAt(offset: string): readonly string[] {
    return this.extraChanges.get(offset) ?? [];
  }

  subscribe(l: ProjectionListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** The federated object under an objectKey (`group/kind/namespace/name`). */
  get(key: string): KubeObject | undefined {
    const [group = "", kind = "", namespace = "", ...rest] = key.split("/");
    return objectIn(this.current.kinds[`${group}/${kind}`], `${namespace}/${rest.join("/")}`);
  }

  /** Every object of a `group/kind`. */
  objectsOf(kindKey: string): [string, KubeObject][] {
    const [group = "", kind = ""] = kindKey.split("/");
    return objectsOfKind(this.current, kindKey).map(([nameKey, o]) => [`${group}/${kind}/${nameKey}`, o]);
  }

  private facts: { clusters: unknown; version: string; facts: readonly ClusterFacts[] } | undefined;
  private factsVersion = 0;

  /**
   * What replica division knows of every Cluster (labels, the recorded scheduling decision), with a version that
   * changes when any Cluster does (the fold replaces the Cluster table then, so its identity tells).
   */
  clusterFacts(): { readonly version: string; readonly facts: readonly ClusterFacts[] } {
    const table = this.current.kinds[CLUSTER_KIND_KEY];
    if (this.facts?.clusters !== table || !this.facts) {
      const facts = objectsOfKind(this.current, CLUSTER_KIND_KEY).map(([, c]) => clusterFacts(c));
      this.facts = { clusters: table, version: String(++this.factsVersion), facts };
    }
    return this.facts;
  }

  /** Keys of every divided workload (ReplicaSets, Deployments, Jobs, HPAs): a Cluster change may move replicas. */
  private dividedKeys(): string[] {
    return MEMBER_KINDS.filter((k) =>
      isDivided({ apiVersion: k.group === "" ? k.version : `${k.group}/${k.version}`, kind: k.kind }),
    ).flatMap((k) => this.objectsOf(`${k.group}/${k.kind}`).map(([key]) => key));
  }

  /** The member clusters registered in the federation, with how to reach each. */
  clusters(): ClusterInfo[] {
    return objectsOfKind(this.current, CLUSTER_KIND_KEY).map(([, c]) => this.clusterInfo(c));
  }

  private clusterInfo(c: KubeObject): ClusterInfo {
    const meta = c.metadata as { name: string; labels?: Record<string, string>; resourceVersion?: string };
    const spec = (c.spec ?? {}) as {
      serverAddressByClientCIDRs?: { serverAddress?: string }[];
      secretRef?: { name?: string };
    };
    const server = spec.serverAddressByClientCIDRs?.find((a) => a.serverAddress)?.serverAddress;
    const base = { name: meta.name, labels: meta.labels ?? {} };
    const secretName = spec.secretRef?.name;
    const secret = secretName ? this.get(`/Secret/${FEDERATION_SYSTEM_NAMESPACE}/${secretName}`) : undefined;
    const version = `${meta.resourceVersion ?? ""}/${(secret?.metadata as { resourceVersion?: string } | undefined)?.resourceVersion ?? ""}`;
    if (!server)
      return {
        ...base,
        endpoint: undefined,
        problem: "the Cluster has no spec.serverAddressByClientCIDRs[].serverAddress",
        version,
      };
    const url = /^https?:\/\//.test(server) ? server : `https://${server}`;
    if (!URL.canParse(url))
      return {
        ...base,
        endpoint: undefined,
        problem: `its server address ${JSON.stringify(server)} is not a URL`,
        version,
      };
    if (secretName && !secret) {
      return {
        ...base,
        endpoint: undefined,
        problem: `its credentials Secret ${FEDERATION_SYSTEM_NAMESPACE}/${secretName} does not exist`,
        version,
      };
    }
    const data = (secret?.data ?? {}) as Record<string, string>;
    const decode = (v: string | undefined) => (v ? Buffer.from(v, "base64").toString("utf8") : undefined);
    const token = decode(data["token"]);
    const ca = decode(data["ca.crt"]);
    const refused = token
      ? credentialsRefusal(url, decode(data[BOUND_SERVER_KEY]), `${FEDERATION_SYSTEM_NAMESPACE}/${secretName}`)
      : undefined;
    if (refused) return { ...base, endpoint: undefined, problem: refused, version };
    return { ...base, endpoint: { server: url, ...(token ? { token } : {}), ...(ca ? { ca } : {}) }, version };
  }

  /** Tells listeners the keys a folded batch changed; remembers the cascades (more than the event's own key). */
  private announce(steps: readonly ObjectsStep[], through: bigint): void {
    const changed: string[] = [];
    for (const step of steps) {
      const outcome = outcomeOf(step);
      if (outcome?.status !== "applied") continue;
      const { offset } = step;
      // A Cluster's labels, scheduling decision or existence change every cluster's share of divided workloads:
      // recorded as a cascade, so each member's cursor reconciles them at that offset.
      const keys = outcome.changedKeys.some((k) => k.startsWith(`${CLUSTER_KIND_KEY}/`))
        ? [...outcome.changedKeys, ...this.dividedKeys()]
        : outcome.changedKeys;
      changed.push(...keys);
      if (keys.length > 1) {
        this.extraChanges.set(offset, keys);
        if (this.extraChanges.size > 10_000) this.extraChanges.delete(this.extraChanges.keys().next().value!);
      }
    }
    if (changed.length > 0) for (const l of this.listeners) l(changed, through);
  }
}
