/**
 * The worker's ONE projection of `<fed>.objects`: the same pure fold the ingest runs, so desired state here is
 * exactly the federation's. Per-cluster consumers only learn which keys changed from their own cursor; they
 * read what is desired from here, after waiting until the projection has folded at least that far.
 */
import { decodeForFold, FederationError, type KubeObject, type Keyring } from "@kubefed/events";
import { evolve, getOutcome, initialState, objectIn, objectsOfKind, type FederationState } from "@kubefed/state";
import { FEDERATION_SYSTEM_NAMESPACE } from "@kubefed/names";
import type { KafkaClient, LogRecord, Tail } from "@kubefed/kafka";
import type { MemberEndpoint } from "./member.ts";

export const CLUSTER_KIND_KEY = "federation/Cluster";

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
  private state: FederationState = initialState();
  private tail: Tail | undefined;
  /** Next offset to fold (offset of the last folded event + 1). */
  private next = 0n;
  private readonly waiters: { offset: bigint; resolve: () => void }[] = [];
  private readonly listeners = new Set<ProjectionListener>();
  poisonEvents = 0;
  /** Keys changed by recent events besides the event's own key (cascades), by offset; bounded. */
  private readonly extraChanges = new Map<string, readonly string[]>();

  constructor(
    private readonly kafka: KafkaClient,
    private readonly topic: string,
    private readonly keyring: Keyring | undefined,
    private readonly onPoison: (offset: string, err: FederationError) => void,
  ) {}

  get current(): FederationState {
    return this.state;
  }

  get nextOffset(): bigint {
    return this.next;
  }

  /** Folds the log up to its current end, then keeps tailing. */
  async start(): Promise<void> {
    const end = await this.kafka.endOffsetOfOnlyPartition(this.topic);
    this.tail = await this.kafka.tail({ topic: this.topic, from: "earliest", onBatch: async (records) => this.apply(records) });
    await this.waitFor(end);
  }

  async stop(): Promise<void> {
    await this.tail?.stop();
  }

  /** Resolves once every event before `offset` is folded. */
  waitFor(offset: bigint): Promise<void> {
    if (this.next >= offset) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ offset, resolve }));
  }

  /** Keys an event changed besides its own (a Namespace deletion removes its contents): [] when none or too old. */
  changedAt(offset: string): readonly string[] {
    return this.extraChanges.get(offset) ?? [];
  }

  subscribe(l: ProjectionListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** The federated object under a refKey (`group/kind/namespace/name`). */
  get(key: string): KubeObject | undefined {
    const [group = "", kind = "", namespace = "", ...rest] = key.split("/");
    return objectIn(this.state.kinds[`${group}/${kind}`], `${namespace}/${rest.join("/")}`);
  }

  /** Every object of a `group/kind`. */
  objectsOf(kindKey: string): [string, KubeObject][] {
    const [group = "", kind = ""] = kindKey.split("/");
    return objectsOfKind(this.state, kindKey).map(([nameKey, o]) => [`${group}/${kind}/${nameKey}`, o]);
  }

  /** The member clusters registered in the federation, with how to reach each. */
  clusters(): ClusterInfo[] {
    return objectsOfKind(this.state, CLUSTER_KIND_KEY).map(([, c]) => this.clusterInfo(c));
  }

  private clusterInfo(c: KubeObject): ClusterInfo {
    const meta = c.metadata as { name: string; labels?: Record<string, string>; resourceVersion?: string };
    const spec = (c.spec ?? {}) as { serverAddressByClientCIDRs?: { serverAddress?: string }[]; secretRef?: { name?: string } };
    const server = spec.serverAddressByClientCIDRs?.find((a) => a.serverAddress)?.serverAddress;
    const base = { name: meta.name, labels: meta.labels ?? {} };
    const secretName = spec.secretRef?.name;
    const secret = secretName ? this.get(`/Secret/${FEDERATION_SYSTEM_NAMESPACE}/${secretName}`) : undefined;
    const version = `${meta.resourceVersion ?? ""}/${(secret?.metadata as { resourceVersion?: string } | undefined)?.resourceVersion ?? ""}`;
    if (!server) return { ...base, endpoint: undefined, problem: "the Cluster has no spec.serverAddressByClientCIDRs[].serverAddress", version };
    const url = /^https?:\/\//.test(server) ? server : `https://${server}`;
    if (!URL.canParse(url)) return { ...base, endpoint: undefined, problem: `its server address ${JSON.stringify(server)} is not a URL`, version };
    if (secretName && !secret) {
      return { ...base, endpoint: undefined, problem: `its credentials Secret ${FEDERATION_SYSTEM_NAMESPACE}/${secretName} does not exist`, version };
    }
    const data = (secret?.data ?? {}) as Record<string, string>;
    const decode = (v: string | undefined) => (v ? Buffer.from(v, "base64").toString("utf8") : undefined);
    const token = decode(data["token"]);
    const ca = decode(data["ca.crt"]);
    return { ...base, endpoint: { server: url, ...(token ? { token } : {}), ...(ca ? { ca } : {}) }, version };
  }

  private apply(records: LogRecord[]): void {
    const changed: string[] = [];
    for (const r of records) {
      const event = decodeForFold({ value: r.value, headers: r.headers }, { keyring: this.keyring });
      if (event instanceof FederationError) {
        this.poisonEvents++;
        this.onPoison(r.offset, event);
        this.next = BigInt(r.offset) + 1n;
        continue;
      }
      this.state = evolve(this.state, event, { offset: r.offset });
      const outcome = getOutcome(this.state, event.metadata.eventId);
      if (outcome && outcome.offset === r.offset && outcome.status === "applied") {
        changed.push(...outcome.changedKeys);
        if (outcome.changedKeys.length > 1) {
          this.extraChanges.set(r.offset, outcome.changedKeys);
          if (this.extraChanges.size > 10_000) this.extraChanges.delete(this.extraChanges.keys().next().value!);
        }
      }
      this.next = BigInt(r.offset) + 1n;
    }
    if (changed.length > 0) for (const l of this.listeners) l(changed, this.next - 1n);
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]!;
      if (w.offset <= this.next) {
        this.waiters.splice(i, 1);
        w.resolve();
      }
    }
  }
}
