/**
 * The verbs of the federation API. Reads come from the read model; writes become one event each, appended
 * to the objects log, and are answered once the read model has folded that event (or the fold rejected it).
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import { encodeEvent, EventType, PreconditionType, type FederationEvent, type Keyring, type KubeObject, type Precondition, type ObjectRef } from "@kubefed/events";
import { getObject, type FederationState, type Outcome } from "@kubefed/state";
import type { Appender } from "@kubefed/kafka";
import { admitOrThrow, type Obj } from "./admit.ts";
import { ApiError, Reason, messages, successStatus } from "./status.ts";
import { groupVersion, type ResourceType } from "./resources.ts";
import type { ReadModel } from "./readmodel.ts";
import type { StatusView } from "./statusview.ts";
import type { UserInfo } from "./auth.ts";
import { selectorMatcher } from "./selectors.ts";
import { applyPatch, applyStrategicMergePatch, PatchType } from "./patch.ts";
import { serveWatch } from "./watch.ts";

export interface WriteContext {
  user: UserInfo;
  requestId: string;
  dryRun: boolean;
  fieldValidation: string;
  fieldManager?: string;
  warnings: string[];
}

export interface HandlerDeps {
  readModel: ReadModel;
  /** Reads merge the members' reported status in (and list the Events derived from it). */
  view: StatusView;
  appender: Appender;
  topic: string;
  keyring: Keyring | undefined;
  /** How long a write waits for its event to be folded before answering 504. */
  foldTimeoutMs: number;
  onAppended: (type: string) => void;
}

const SERVER_FIELDS = ["uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "selfLink", "deletionTimestamp"] as const;

function refOf(rt: ResourceType, namespace: string | undefined, name: string): ObjectRef {
  return { group: rt.group, version: rt.version, kind: rt.kind, namespace: rt.namespaced ? (namespace ?? "default") : null, name };
}

function metaOf(o: Obj): Obj {
  return (o.metadata ?? {}) as Obj;
}

/**
 * Sets apiVersion/kind as the request's resource and checks the body agrees with the URL. Only the top level and
 * the metadata are rewritten, into new objects; `owned`: the caller hands over a body nobody else holds (freshly
 * parsed), so its nested values are used as they are instead of deep-copied (a copy costs more than the rest).
 */
function normalise(rt: ResourceType, body: unknown, namespace: string | undefined, name?: string, owned = false): Obj {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new ApiError(Reason.BadRequest, "the request body must be a JSON or YAML object");
  const obj = owned ? { ...(body as Obj) } : (structuredClone(body) as Obj);
  const gv = groupVersion(rt);
  if (obj.apiVersion !== undefined && obj.apiVersion !== gv) {
    throw new ApiError(Reason.BadRequest, `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${gv})`);
  }
  if (obj.kind !== undefined && obj.kind !== rt.kind) {
    throw new ApiError(Reason.BadRequest, `the kind in the data (${String(obj.kind)}) does not match the expected kind (${rt.kind})`);
  }
  obj.apiVersion = gv;
  obj.kind = rt.kind;
  const meta = { ...metaOf(obj) };
  if (rt.namespaced) {
    if (meta.namespace !== undefined && meta.namespace !== "" && meta.namespace !== namespace) {
      throw new ApiError(Reason.BadRequest, "the namespace of the provided object does not match the namespace sent on the request");
    }
    meta.namespace = namespace;
  } else delete meta.namespace;
  if (name !== undefined) {
    if (meta.name !== undefined && meta.name !== name) throw new ApiError(Reason.BadRequest, `the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
    meta.name = name;
  }
  obj.metadata = meta;
  return obj;
}

function stripServerFields(obj: Obj): Obj {
  const meta = { ...metaOf(obj) };
  for (const f of SERVER_FIELDS) delete meta[f];
  return { ...obj, metadata: meta };
}

/**
 * Write-only fields, as kube-apiserver treats them: a Secret's `stringData` is merged into `data` (base64, winning
 * over the same key in `data`) and never stored. Anything that is not a string map is left for validation to refuse.
 */
export function foldWriteOnlyFields(obj: Obj): Obj {
  if (obj.kind !== "Secret" || obj.stringData === undefined || obj.stringData === null) return obj;
  const stringData = obj.stringData as unknown;
  if (typeof stringData !== "object" || Array.isArray(stringData) || Object.values(stringData as object).some((v) => typeof v !== "string")) return obj;
  const { stringData: _dropped, ...rest } = obj;
  const data = { ...((rest.data as Record<string, string> | undefined) ?? {}) };
  for (const [k, v] of Object.entries(stringData as Record<string, string>)) data[k] = Buffer.from(v, "utf8").toString("base64");
  return { ...rest, data };
}

function rejectionToError(o: Extract<Outcome, { status: "rejected" }>, rt: ResourceType, name: string): ApiError {
  const details = { name, group: rt.group, kind: rt.resource };
  switch (o.reason) {
    case "AlreadyExists":
      return new ApiError(Reason.AlreadyExists, messages.alreadyExists(rt.resource, name), details);
    case "Conflict":
      return new ApiError(Reason.Conflict, messages.conflict(rt.resource, name), details);
    case "NotFound":
      return new ApiError(Reason.NotFound, o.message || messages.notFound(rt.resource, name), details);
    case "Forbidden":
      return new ApiError(Reason.Forbidden, o.message, details);
    case "Invalid":
      return new ApiError(Reason.Invalid, o.message, details);
    default: {
      const never: never = o.reason;
      return new ApiError(Reason.InternalError, String(never));
    }
  }
}

export class Handlers {
  constructor(private readonly d: HandlerDeps) {}

  private get state(): FederationState {
    return this.d.readModel.current;
  }

  /** The stored object (without reported status): what writes start from. */
  current(rt: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const ref = refOf(rt, namespace, name);
    const o = getObject(this.state, ref);
    if (!o && this.d.view.isDerivedEvent(ref)) {
      throw new ApiError(Reason.MethodNotAllowed, `events "${name}" is derived from the members' status reports and cannot be changed`, { name, kind: rt.resource });
    }
    if (!o) throw new ApiError(Reason.NotFound, messages.notFound(rt.group ? `${rt.resource}.${rt.group}` : rt.resource, name), { name, group: rt.group, kind: rt.resource });
    return o;
  }

  private checkNamespace(rt: ResourceType, namespace: string | undefined): void {
    if (!rt.namespaced || namespace === undefined || namespace === "default") return;
    if (!getObject(this.state, { group: "", kind: "Namespace", namespace: null, name: namespace })) {
      throw new ApiError(Reason.NotFound, `namespaces "${namespace}" not found`, { name: namespace, kind: "namespaces" });
    }
  }

  /** Appends one event and waits for the fold's verdict. */
  private async write(type: FederationEvent["type"], rt: ResourceType, ref: ObjectRef, object: Obj | undefined, precondition: Precondition, ctx: WriteContext): Promise<KubeObject> {
    if (rt.kind === "Secret" && rt.group === "" && !this.d.keyring && type !== EventType.ObjectDeleted) {
      throw new ApiError(Reason.ServiceUnavailable, "secret encryption is not configured on this server (INGEST_SECRETS_KEY_FILE); Secrets cannot be written", { retryAfterSeconds: 60 });
    }
    const metadata = { eventId: randomUUID(), time: new Date().toISOString(), actor: { user: ctx.user.user, groups: ctx.user.groups }, requestId: ctx.requestId };
    const event = (type === EventType.ObjectDeleted
      ? { type, data: { ref, precondition }, metadata }
      : { type, data: { ref, precondition, object: object as KubeObject, ...(ctx.fieldManager ? { fieldManager: ctx.fieldManager } : {}) }, metadata }) as FederationEvent;
    const msg = encodeEvent(event, { keyring: this.d.keyring });
    const outcome = this.d.readModel.expect(metadata.eventId);
    let appended;
    try {
      [appended] = await this.d.appender.append(this.d.topic, [{ key: msg.key, value: msg.value, headers: msg.headers }]);
    } catch (e) {
      this.d.readModel.forget(metadata.eventId);
      throw new ApiError(Reason.ServiceUnavailable, `the event log is not accepting writes right now: ${(e as Error).message}`, { retryAfterSeconds: 1 });
    }
    if (appended) {
      // Headers as the tail would see them (Buffers), so the fold reads the very same bytes.
      const headers = Object.fromEntries(Object.entries(msg.headers).map(([k, v]) => [k, Buffer.isBuffer(v) ? v : Buffer.from(v)]));
      try {
        this.d.readModel.foldOwn({ value: msg.value, headers }, appended.offset);
      } catch {
        // The tail folds it (and retries what needs retrying); the outcome arrives from there.
      }
    }
    this.d.onAppended(type);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ApiError(Reason.Timeout, "the write was appended to the log but is not visible yet; it will take effect")), this.d.foldTimeoutMs);
    });
    try {
      const o = await Promise.race([outcome, timeout]);
      if (o.status === "rejected") throw rejectionToError(o, rt, ref.name);
      return this.d.view.merge(o.object);
    } finally {
      clearTimeout(timer);
      this.d.readModel.forget(metadata.eventId);
    }
  }

  /** What a write would store, for dryRun=All: the fold is not asked. */
  private dryRunResult(obj: Obj, base?: KubeObject): KubeObject {
    const meta = { ...metaOf(obj), ...(base ? { uid: metaOf(base).uid, creationTimestamp: metaOf(base).creationTimestamp, resourceVersion: metaOf(base).resourceVersion } : { uid: randomUUID() }) };
    return { ...obj, metadata: meta } as KubeObject;
  }

  get(rt: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const o = this.d.view.get(refOf(rt, namespace, name));
    if (!o) throw new ApiError(Reason.NotFound, messages.notFound(rt.group ? `${rt.resource}.${rt.group}` : rt.resource, name), { name, group: rt.group, kind: rt.resource });
    return o;
  }

  list(rt: ResourceType, namespace: string | undefined, q: URLSearchParams): Obj {
    const match = selectorMatcher(q.get("labelSelector"), q.get("fieldSelector"), rt.kind);
    const all = this.d.view.list({ group: rt.group, kind: rt.kind, ...(namespace !== undefined ? { namespace } : {}) }).filter((o) => match(o as Obj));
    const limit = Number(q.get("limit") ?? "0");
    let start = 0;
    const token = q.get("continue");
    if (token) {
      try {
        start = (JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { start: number }).start;
      } catch {
        throw new ApiError(Reason.BadRequest, "the continue token is not valid");
      }
    }
    const page = limit > 0 ? all.slice(start, start + limit) : all.slice(start);
    const more = limit > 0 && start + limit < all.length;
    return {
      apiVersion: groupVersion(rt),
      kind: `${rt.kind}List`,
      metadata: {
        resourceVersion: this.d.readModel.resourceVersion,
        ...(more ? { continue: Buffer.from(JSON.stringify({ start: start + limit })).toString("base64url"), remainingItemCount: all.length - start - limit } : {}),
      },
      items: page,
    };
  }

  /** Creates from `body`, which becomes the federation's: the caller must not use it afterwards. */
  async create(rt: ResourceType, namespace: string | undefined, body: unknown, ctx: WriteContext): Promise<KubeObject> {
    const obj = foldWriteOnlyFields(stripServerFields(normalise(rt, body, namespace, undefined, true)));
    const meta = metaOf(obj);
    if ((meta.name === undefined || meta.name === "") && typeof meta.generateName === "string" && meta.generateName !== "") {
      // Five characters from [a-z0-9], as Kubernetes' name generator does.
      meta.name = `${meta.generateName}${[...randomBytes(5)].map((b) => "bcdfghjklmnpqrstvwxz2456789"[b % 27]).join("")}`;
    }
    if (meta.name === undefined || meta.name === "") {
      throw new ApiError(Reason.Invalid, `${rt.kind} "" is invalid: metadata.name: Required value: name or generateName is required`, { kind: rt.kind, causes: [{ reason: "FieldValueRequired", field: "metadata.name", message: "Required value: name or generateName is required" }] });
    }
    ctx.warnings.push(...admitOrThrow(rt, obj, ctx.fieldValidation));
    const name = String(meta.name);
    this.checkNamespace(rt, namespace);
    if (getObject(this.state, refOf(rt, namespace, name))) {
      throw new ApiError(Reason.AlreadyExists, messages.alreadyExists(rt.resource, name), { name, group: rt.group, kind: rt.resource });
    }
    if (ctx.dryRun) return this.dryRunResult(obj);
    return this.write(EventType.ObjectCreated, rt, refOf(rt, namespace, name), obj, { type: PreconditionType.MustNotExist }, ctx);
  }

  async update(rt: ResourceType, namespace: string | undefined, name: string, body: unknown, ctx: WriteContext, status = false): Promise<KubeObject> {
    const obj = normalise(rt, body, namespace, name);
    const cur = this.current(rt, namespace, name);
    const curRv = String(metaOf(cur).resourceVersion);
    const rv = metaOf(obj).resourceVersion;
    if (rv !== undefined && rv !== "" && rv !== curRv) {
      throw new ApiError(Reason.Conflict, messages.conflict(rt.group ? `${rt.resource}.${rt.group}` : rt.resource, name), { name, group: rt.group, kind: rt.resource });
    }
    const clean = foldWriteOnlyFields(stripServerFields(obj));
    if (!status) ctx.warnings.push(...admitOrThrow(rt, clean, ctx.fieldValidation));
    if (ctx.dryRun) return this.dryRunResult(clean, cur);
    const precondition: Precondition = { type: PreconditionType.ExpectedResourceVersion, resourceVersion: curRv };
    return this.write(status ? EventType.ObjectStatusUpdated : EventType.ObjectUpdated, rt, refOf(rt, namespace, name), clean, precondition, ctx);
  }

  /** Patches the current object and writes it with its resourceVersion as precondition; a lost race retries. */
  async patch(rt: ResourceType, namespace: string | undefined, name: string, patchType: string, patch: unknown, ctx: WriteContext, status = false): Promise<KubeObject> {
    for (let attempt = 0; ; attempt++) {
      const exists = getObject(this.state, refOf(rt, namespace, name));
      if (!exists && patchType === PatchType.Apply) {
        return this.create(rt, namespace, { ...(patch as Obj), metadata: { ...metaOf(patch as Obj), name } }, ctx);
      }
      const cur = this.current(rt, namespace, name);
      // Server-side apply is approximated by a strategic merge of the applied configuration (no field ownership yet).
      const next = patchType === PatchType.Apply ? applyStrategicMergePatch(cur, patch) : applyPatch(patchType, cur, patch);
      const obj = { ...(next as Obj), metadata: { ...metaOf(next as Obj), resourceVersion: metaOf(cur).resourceVersion } };
      try {
        return await this.update(rt, namespace, name, obj, ctx, status);
      } catch (e) {
        if (e instanceof ApiError && e.reason === Reason.Conflict && attempt < 5) continue;
        throw e;
      }
    }
  }

  async delete(rt: ResourceType, namespace: string | undefined, name: string, body: unknown, ctx: WriteContext): Promise<KubeObject> {
    const cur = this.current(rt, namespace, name);
    const want = ((body as { preconditions?: { resourceVersion?: string } } | undefined)?.preconditions ?? {}).resourceVersion;
    const curRv = String(metaOf(cur).resourceVersion);
    if (want !== undefined && want !== curRv) {
      throw new ApiError(Reason.Conflict, `Operation cannot be fulfilled on ${rt.resource} "${name}": Precondition failed: ResourceVersion: Precondition failed: UID in precondition: ${want}, UID in object meta: ${curRv}`);
    }
    if (ctx.dryRun) return cur;
    return this.write(EventType.ObjectDeleted, rt, refOf(rt, namespace, name), undefined, { type: PreconditionType.ExpectedResourceVersion, resourceVersion: curRv }, ctx);
  }

  async deleteCollection(rt: ResourceType, namespace: string | undefined, q: URLSearchParams, ctx: WriteContext): Promise<unknown> {
    const list = this.list(rt, namespace, q);
    for (const item of list.items as Obj[]) {
      const m = metaOf(item);
      // Events derived from status reports are read-only; a collection delete leaves them.
      if (this.d.view.isDerivedEvent(refOf(rt, m.namespace as string | undefined, String(m.name)))) continue;
      await this.delete(rt, m.namespace as string | undefined, String(m.name), undefined, ctx).catch((e) => {
        if (!(e instanceof ApiError && e.reason === Reason.NotFound)) throw e;
      });
    }
    return successStatus();
  }

  scale(rt: ResourceType, namespace: string | undefined, name: string): Obj {
    const cur = this.get(rt, namespace, name) as Obj;
    const meta = metaOf(cur);
    const spec = (cur.spec ?? {}) as Obj;
    const sel = ((spec.selector ?? {}) as { matchLabels?: Record<string, string> }).matchLabels ?? {};
    return {
      apiVersion: "autoscaling/v1",
      kind: "Scale",
      metadata: { name, namespace: meta.namespace, uid: meta.uid, resourceVersion: meta.resourceVersion, creationTimestamp: meta.creationTimestamp },
      spec: { replicas: spec.replicas ?? 1 },
      status: { replicas: ((cur.status ?? {}) as Obj).replicas ?? 0, selector: Object.entries(sel).map(([k, v]) => `${k}=${v}`).join(",") },
    };
  }

  /** Writes to the scale subresource change spec.replicas of the object. */
  async writeScale(rt: ResourceType, namespace: string | undefined, name: string, scale: Obj, ctx: WriteContext): Promise<Obj> {
    const replicas = ((scale.spec ?? {}) as Obj).replicas;
    if (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 0) {
      throw new ApiError(Reason.Invalid, `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`, { name, kind: "Scale", causes: [{ reason: "FieldValueInvalid", field: "spec.replicas", message: "must be greater than or equal to 0" }] });
    }
    await this.patch(rt, namespace, name, PatchType.Merge, { spec: { replicas } }, ctx);
    return this.scale(rt, namespace, name);
  }

  watch(res: ServerResponse, rt: ResourceType, namespace: string | undefined, q: URLSearchParams, maxTimeoutS: number, render?: (o: KubeObject) => unknown): void {
    serveWatch(res, this.d.readModel, this.d.view, rt, namespace, q, maxTimeoutS, render);
  }
}
