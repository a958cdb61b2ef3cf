/**
 * A small HTTPS client for one member cluster's API: get, server-side apply, delete, list and watch of the
 * propagated kinds, and /readyz. Plain node:https with a keep-alive agent: the propagator makes many small
 * requests to few servers, and needs the exact Status of every refusal.
 */
import { Agent, request } from "node:https";
import type { IncomingMessage } from "node:http";
import { FIELD_MANAGER } from "@kubefed/names";
import { ErrorCode, FederationError, fromKubernetesRefusal, toFederationError, type KubeObject } from "@kubefed/events";
import { MEMBER_KINDS, pathOf, type MemberKind } from "@kubefed/placement";

export interface MemberEndpoint {
  /** https://host:port */
  readonly server: string;
  readonly token?: string;
  /** PEM; absent: the system's roots. */
  readonly ca?: string;
}

/** One entry of `metadata.managedFields`. */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  subresource?: string;
}

export interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: KubeObject;
}

export interface MemberWatch {
  stop(): void;
  /** Resolves when the stream ends (server timeout, error or stop). */
  readonly done: Promise<void>;
}

/**
 * What the propagator asks of one member cluster. Failures are FederationErrors: code Unreachable when no answer
 * came back at all, else the member's refusal (see `refused`).
 */
export interface Member {
  readonly cluster: string;
  /** The object, or undefined when it does not exist. */
  get(kind: MemberKind, namespace: string | null, name: string): Promise<KubeObject | undefined>;
  /** Server-side apply with the federation's field manager, taking over conflicting fields. */
  apply(kind: MemberKind, object: KubeObject): Promise<KubeObject>;
  /** Creates an object that does not exist yet. */
  create(kind: MemberKind, object: KubeObject): Promise<KubeObject>;
  /** Makes the federation's Update entry of managedFields an Apply entry; false when the object changed meanwhile. */
  claimAppliedFields(kind: MemberKind, object: KubeObject): Promise<boolean>;
  /** Deletes with background propagation; true when it existed. `uid` guards against deleting a recreated object. */
  delete(kind: MemberKind, namespace: string | null, name: string, uid?: string): Promise<boolean>;
  /** Every object of a kind (all namespaces) matching a label selector, with the list's resourceVersion. */
  list(
    kind: MemberKind,
    labelSelector: string,
    wanted?: () => boolean,
  ): Promise<{ items: KubeObject[]; resourceVersion: string }>;
  /** Watches a kind (all namespaces) from a resourceVersion; events arrive in order on `onEvent`. */
  watch(
    kind: MemberKind,
    labelSelector: string,
    resourceVersion: string,
    onEvent: (e: WatchEvent) => void,
  ): MemberWatch;
  /** Whether the member's /readyz answers 200 within the timeout. */
  ready(timeoutMs: number): Promise<{ ok: boolean; message: string }>;
  /** Region and zones from the member's node topology labels. */
  topology(): Promise<{ region: string | null; zones: string[] }>;
  close(): void;
}

/** Sockets to a member: the reconciles, a watch per propagated kind, the EndpointSlice watch, probes and lists. */
const memberSockets = (concurrency: number) => concurrency + MEMBER_KINDS.length + 3;

/** The one way the propagator connects to a member: a client sized for `concurrency` reconciles at once. */
export function connectMember(cluster: string, endpoint: MemberEndpoint, concurrency: number): Member {
  return new MemberClient(cluster, endpoint, { maxSockets: memberSockets(concurrency) });
}

export class MemberClient implements Member {
  private readonly agent: Agent;
  private readonly url: URL;

  constructor(
    readonly cluster: string,
    readonly endpoint: MemberEndpoint,
    opts: { maxSockets?: number } = {},
  ) {
    this.url = new URL(endpoint.server);
    this.agent = new Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 32, ca: endpoint.ca, timeout: 30_000 });
  }

  close(): void {
    this.agent.destroy();
  }

  /** Request options for this member: its address, agent, credentials and JSON. */
  private options(method: string, path: string, headers: Record<string, string | number> = {}) {
    return {
      protocol: this.url.protocol,
      hostname: this.url.hostname,
      port: this.url.port,
      path,
      method,
      agent: this.agent,
      headers: {
        accept: "application/json",
        ...(this.endpoint.token ? { authorization: `Bearer ${this.endpoint.token}` } : {}),
        ...headers,
      },
    };
  }

  private call(
    method: string,
    path: string,
    opts: { body?: string; contentType?: string; timeoutMs?: number } = {},
  ): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          ...this.options(
            method,
            path,
            opts.body !== undefined
              ? {
                  "content-type": opts.contentType ?? "application/json",
                  "content-length": Buffer.byteLength(opts.body),
                }
              : {},
          ),
          timeout: opts.timeoutMs ?? 15_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
          res.on("error", (e) => reject(this.unreachable(e)));
        },
      );
      req.on("timeout", () => req.destroy(new Error(`no answer within ${opts.timeoutMs ?? 15_000} ms`)));
      req.on("error", (e) => reject(this.unreachable(e)));
      req.end(opts.body);
    });
  }

  private unreachable(e: Error): FederationError {
    return new FederationError(
      ErrorCode.Unreachable,
      `cannot reach cluster ${this.cluster} at ${this.endpoint.server}: ${e.message}`,
      { cause: e },
    );
  }

  /**
   * A member's refusal, retried with backoff whatever its code: the member can change with nothing new in the
   * log (RBAC granted, a quota raised, a terminating namespace gone, an admission webhook fixed).
   */
  private refused(status: number, body: string, what: string): FederationError {
    return fromKubernetesRefusal(status, body, `${what} in cluster ${this.cluster}`, { retryable: true });
  }

  /** The object, or undefined when it does not exist. */
  async get(kind: MemberKind, namespace: string | null, name: string): Promise<KubeObject | undefined> {
    const r = await this.call("GET", pathOf(kind, namespace, name));
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw this.refused(r.status, r.body, `get ${kind.kind} ${name}`);
    return JSON.parse(r.body) as KubeObject;
  }

  /** Server-side apply with the federation's field manager, taking over conflicting fields. */
  async apply(kind: MemberKind, object: KubeObject): Promise<KubeObject> {
    const meta = object.metadata as { name: string; namespace?: string };
    const path = `${pathOf(kind, meta.namespace ?? null, meta.name)}?fieldManager=${FIELD_MANAGER}&force=true`;
    const r = await this.call("PATCH", path, {
      body: JSON.stringify(object),
      contentType: "application/apply-patch+yaml",
    });
    if (r.status !== 200 && r.status !== 201)
      throw this.refused(
        r.status,
        r.body,
        `apply ${kind.kind} ${meta.namespace ? `${meta.namespace}/` : ""}${meta.name}`,
      );
    return JSON.parse(r.body) as KubeObject;
  }

  /**
   * Creates an object that does not exist yet: a plain POST costs the member noticeably less than an apply that
   * creates (no read before the write, no apply merge). The member records the fields as the federation's
   * *Update*; `claimAppliedFields` turns that into Apply ownership before the first server-side apply updates it.
   */
  async create(kind: MemberKind, object: KubeObject): Promise<KubeObject> {
    const meta = object.metadata as { name: string; namespace?: string };
    const path = `${pathOf(kind, meta.namespace ?? null)}?fieldManager=${FIELD_MANAGER}`;
    const r = await this.call("POST", path, { body: JSON.stringify(object) });
    if (r.status !== 201 && r.status !== 200)
      throw this.refused(
        r.status,
        r.body,
        `create ${kind.kind} ${meta.namespace ? `${meta.namespace}/` : ""}${meta.name}`,
      );
    return JSON.parse(r.body) as KubeObject;
  }

  /**
   * Makes the federation's Update entry of an object's managedFields (left by `create`) an Apply entry, so that
   * server-side apply owns those fields alone and removes them when the federation stops setting them. A JSON
   * patch of managedFields only: the object's content does not change. Guarded by the resourceVersion the entry
   * was read at; false when the object changed meanwhile (the caller reads it again).
   */
  async claimAppliedFields(kind: MemberKind, object: KubeObject): Promise<boolean> {
    const meta = object.metadata as unknown as {
      name: string;
      namespace?: string;
      resourceVersion?: string;
      managedFields?: ManagedFieldsEntry[];
    };
    const entries = meta.managedFields ?? [];
    const update = entries.findIndex((e) => e.manager === FIELD_MANAGER && e.operation === "Update" && !e.subresource);
    if (update < 0) return true;
    const applied = entries.some((e) => e.manager === FIELD_MANAGER && e.operation === "Apply" && !e.subresource);
    const patch = [
      { op: "test", path: "/metadata/resourceVersion", value: meta.resourceVersion },
      // Already applied once as well: the Apply entry stands, the Update entry goes.
      applied
        ? { op: "remove", path: `/metadata/managedFields/${update}` }
        : { op: "replace", path: `/metadata/managedFields/${update}/operation`, value: "Apply" },
    ];
    const r = await this.call("PATCH", pathOf(kind, meta.namespace ?? null, meta.name), {
      body: JSON.stringify(patch),
      contentType: "application/json-patch+json",
    });
    if (r.status === 200) return true;
    // 422 from the failed test (resourceVersion moved), 409 or 404: read it again.
    if (r.status === 422 || r.status === 409 || r.status === 404) return false;
    throw this.refused(r.status, r.body, `claim the fields of ${kind.kind} ${meta.name}`);
  }

  /** Deletes with background propagation; true when it existed. `uid` guards against deleting a recreated object. */
  async delete(kind: MemberKind, namespace: string | null, name: string, uid?: string): Promise<boolean> {
    const body = JSON.stringify({
      kind: "DeleteOptions",
      apiVersion: "v1",
      propagationPolicy: "Background",
      ...(uid ? { preconditions: { uid } } : {}),
    });
    const r = await this.call("DELETE", pathOf(kind, namespace, name), { body });
    if (r.status === 404) return false;
    // A uid precondition failing means the object was replaced meanwhile: the next reconcile looks again.
    if (r.status === 409) return false;
    if (r.status !== 200 && r.status !== 202) throw this.refused(r.status, r.body, `delete ${kind.kind} ${name}`);
    return true;
  }

  /**
   * Every object of a kind (all namespaces) matching a label selector, with the list's resourceVersion, page by
   * page; fails between pages once `wanted` turns false (the caller no longer needs it).
   */
  async list(
    kind: MemberKind,
    labelSelector: string,
    wanted: () => boolean = () => true,
  ): Promise<{ items: KubeObject[]; resourceVersion: string }> {
    const items: KubeObject[] = [];
    let cont = "";
    let resourceVersion = "";
    do {
      if (!wanted())
        throw new FederationError(
          ErrorCode.Unavailable,
          `list of ${kind.plural} in cluster ${this.cluster} abandoned: no longer wanted`,
        );
      const q = new URLSearchParams({ labelSelector, limit: "500", ...(cont ? { continue: cont } : {}) });
      const r = await this.call("GET", `${pathOf(kind, null)}?${q}`, { timeoutMs: 60_000 });
      if (r.status !== 200) throw this.refused(r.status, r.body, `list ${kind.plural}`);
      const list = JSON.parse(r.body) as {
        items?: KubeObject[];
        metadata?: { continue?: string; resourceVersion?: string };
      };
      for (const item of list.items ?? [])
        items.push({
          apiVersion: kind.group === "" ? kind.version : `${kind.group}/${kind.version}`,
          kind: kind.kind,
          ...item,
        });
      cont = list.metadata?.continue ?? "";
      resourceVersion = list.metadata?.resourceVersion ?? resourceVersion;
    } while (cont);
    return { items, resourceVersion };
  }

  /** Watches a kind (all namespaces) from a resourceVersion; events arrive in order on `onEvent`. */
  watch(
    kind: MemberKind,
    labelSelector: string,
    resourceVersion: string,
    onEvent: (e: WatchEvent) => void,
  ): MemberWatch {
    const q = new URLSearchParams({
      watch: "1",
      labelSelector,
      resourceVersion,
      allowWatchBookmarks: "true",
      timeoutSeconds: String(240 + Math.floor(Math.random() * 120)),
    });
    let res: IncomingMessage | undefined;
    let stopped = false;
    let finish: () => void = () => undefined;
    const done = new Promise<void>((r) => (finish = r));
    const req = request(this.options("GET", `${pathOf(kind, null)}?${q}`), (r) => {
      res = r;
      if (r.statusCode !== 200) {
        r.resume();
        onEvent({
          type: "ERROR",
          object: { kind: "Status", code: r.statusCode ?? 0, message: `watch ${kind.plural}: HTTP ${r.statusCode}` },
        });
        finish();
        return;
      }
      let buf = "";
      r.setEncoding("utf8");
      r.on("data", (chunk: string) => {
        buf += chunk;
        let nl;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line === "" || stopped) continue;
          try {
            onEvent(JSON.parse(line) as WatchEvent);
          } catch {
            // A truncated line at a dropped connection: the caller relists.
          }
        }
      });
      r.on("end", finish);
      r.on("error", finish);
      r.on("close", finish);
    });
    req.on("error", finish);
    req.end();
    return {
      done,
      stop: () => {
        stopped = true;
        res?.destroy();
        req.destroy();
        finish();
      },
    };
  }

  /** True when the member's /readyz answers 200 within the timeout. */
  async ready(timeoutMs: number): Promise<{ ok: boolean; message: string }> {
    try {
      const r = await this.call("GET", "/readyz", { timeoutMs });
      return r.status === 200
        ? { ok: true, message: "/readyz ok" }
        : { ok: false, message: `/readyz answered ${r.status}: ${r.body.slice(0, 200).trim()}` };
    } catch (e) {
      return { ok: false, message: toFederationError(e).message };
    }
  }

  /** Region and zones from the member's node topology labels (none when it has no nodes or we may not list them). */
  async topology(): Promise<{ region: string | null; zones: string[] }> {
    try {
      const r = await this.call("GET", "/api/v1/nodes?limit=500");
      if (r.status !== 200) return { region: null, zones: [] };
      const nodes =
        (JSON.parse(r.body) as { items?: { metadata?: { labels?: Record<string, string> } }[] }).items ?? [];
      const zones = new Set<string>();
      let region: string | null = null;
      for (const n of nodes) {
        const l = n.metadata?.labels ?? {};
        region ??= l["topology.kubernetes.io/region"] ?? null;
        const z = l["topology.kubernetes.io/zone"];
        if (z) zones.add(z);
      }
      return { region, zones: [...zones].sort() };
    } catch {
      return { region: null, zones: [] };
    }
  }
}
