/**
 * The verbs of the federation API. Reads come from the read model; a write is turned into a command and handed to
 * the command handler (commands.ts), which decides it, appends its event to the objects log and answers once the
 * read model has folded that event (or the fold rejected it).
 *
 * Over 400 lines because it is the one table of verbs (get, list, watch, create, update, patch, delete, delete
 * collection, scale, each with its query options) that a reader compares with kube-apiserver's; each verb is short
 * and the rules live elsewhere.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import {
  metaOf,
  PreconditionType,
  type FederationEvent,
  type EventMetadata,
  type KubeObject,
  type ObjectRef,
  type Precondition,
} from "@kubefed/events";
import { CommandType, getObject, type FederationState } from "@kubefed/state";
import { admitOrThrow, type Obj } from "./admit.ts";
import type { CommandHandler } from "./commands.ts";
import { ApiError, Reason, notFoundError, successStatus } from "./status.ts";
import { groupVersion, type ResourceType } from "./resources.ts";
import type { ReadModel } from "./readmodel.ts";
import type { StatusView } from "./statusview.ts";
import type { UserInfo } from "./auth.ts";
import { selectorMatcher } from "./selectors.ts";
import { applyPatch, applyStrategicMergePatch, PatchType } from "./patch.ts";
import { serveWatch } from "./watch.ts";
import type { PlacementAdmission } from "./placementadmission.ts";
import type { HistoryIndex } from "./historyindex.ts";
import { exactList, isExactList } from "./pointintime.ts";
import { builtInObjects } from "./authz.ts";

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
  /** The one write path: decide, append, wait for the fold. */
  commands: CommandHandler;
  /** Overrides checked against the clusters, then the SchedulingPolicy step (after validation). */
  placement?: Pick<PlacementAdmission, "admit">;
  /** Point-in-time lists (resourceVersionMatch=Exact) are read from it, once `historyReady()`. */
  history?: { index: HistoryIndex; ready: () => boolean };
}

const SERVER_FIELDS = [
  "uid",
  "resourceVersion",
  "creationTimestamp",
  "generation",
  "managedFields",
  "selfLink",
  "deletionTimestamp",
] as const;

function refOf(rt: ResourceType, namespace: string | undefined, name: string): ObjectRef {
  return {
    group: rt.group,
    version: rt.version,
    kind: rt.kind,
    namespace: rt.namespaced ? (namespace ?? "default") : null,
    name,
  };
}

/**
 * Sets apiVersion/kind as the request's resource and checks the body agrees with the URL. Only the top level and
 * the metadata are rewritten, into new objects; `owned`: the caller hands over a body nobody else holds (freshly
 * parsed), so its nested values are used as they are instead of deep-copied (a copy costs more than the rest).
 */
function normalise(rt: ResourceType, body: unknown, namespace: string | undefined, name?: string, owned = false): Obj {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new ApiError(Reason.BadRequest, "the request body must be a JSON or YAML object");
  const obj = owned ? { ...(body as Obj) } : (structuredClone(body) as Obj);
  const gv = groupVersion(rt);
  if (obj.apiVersion !== undefined && obj.apiVersion !== gv) {
    throw new ApiError(
      Reason.BadRequest,
      `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${gv})`,
    );
  }
  if (obj.kind !== undefined && obj.kind !== rt.kind) {
    throw new ApiError(
      Reason.BadRequest,
      `the kind in the data (${String(obj.kind)}) does not match the expected kind (${rt.kind})`,
    );
  }
  obj.apiVersion = gv;
  obj.kind = rt.kind;
  const meta = { ...metaOf(obj) };
  if (rt.namespaced) {
    if (meta.namespace !== undefined && meta.namespace !== "" && meta.namespace !== namespace) {
      throw new ApiError(
        Reason.BadRequest,
        "the namespace of the provided object does not match the namespace sent on the request",
      );
    }
    meta.namespace = namespace;
  } else delete meta.namespace;
  if (name !== undefined) {
    if (meta.name !== undefined && meta.name !== name)
      throw new ApiError(
        Reason.BadRequest,
        `the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`,
      );
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
  if (
    typeof stringData !== "object" ||
    Array.isArray(stringData) ||
    Object.values(stringData as object).some((v) => typeof v !== "string")
  )
    return obj;
  const { stringData: _dropped, ...rest } = obj;
  const data = { ...((rest.data as Record<string, string> | undefined) ?? {}) };
  for (const [k, v] of Object.entries(stringData as Record<string, string>))
    data[k] = Buffer.from(v, "utf8").toString("base64");
  return { ...rest, data };
}

/** Who asks, and when: the metadata every event of the request carries. The event id becomes a created object's uid. */
function eventMetadata(ctx: WriteContext): EventMetadata {
  return {
    eventId: randomUUID(),
    time: new Date().toISOString(),
    actor: { user: ctx.user.user, groups: ctx.user.groups },
    requestId: ctx.requestId,
  };
}

/** The resourceVersion a caller sent as the write's precondition; decide refuses a stale one at once. */
const expected = (rv: unknown): Precondition => ({
  type: PreconditionType.ExpectedResourceVersion,
  resourceVersion: rv as string,
});

/** The event carrying `object` instead (the admission step merged the policy's annotations in). */
function withObject(e: FederationEvent, object: KubeObject): FederationEvent {
  return e.type === "ObjectDeleted" ? e : ({ ...e, data: { ...e.data, object } } as FederationEvent);
}

export class Handlers {
  constructor(private readonly d: HandlerDeps) {}

  private get state(): FederationState {
    return this.d.readModel.current;
  }

  /** The stored object (without reported status): what a patch starts from. */
  current(rt: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const ref = refOf(rt, namespace, name);
    this.refuseDerived(rt, ref);
    const o = getObject(this.state, ref);
    if (!o) throw notFoundError(rt, name);
    return o;
  }

  /** Events derived from status reports are not in the objects log: they cannot be written. */
  private refuseDerived(rt: ResourceType, ref: ObjectRef): void {
    if (this.d.view.isDerivedEvent(ref)) {
      throw new ApiError(
        Reason.MethodNotAllowed,
        `events "${ref.name}" is derived from the members' status reports and cannot be changed`,
        { name: ref.name, kind: rt.resource },
      );
    }
  }

  get(rt: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const o =
      this.d.view.get(refOf(rt, namespace, name)) ??
      builtInObjects(rt.group, rt.kind).find((b) => metaOf(b).name === name);
    if (!o) throw notFoundError(rt, name);
    return o;
  }

  list(rt: ResourceType, namespace: string | undefined, q: URLSearchParams): Obj {
    const match = selectorMatcher(q.get("labelSelector"), q.get("fieldSelector"), rt.kind);
    const h = this.d.history;
    if (h && isExactList(q)) return exactList(h.index, rt, namespace, q, (o) => match(o as Obj), h.ready());
    const stored = this.d.view.list({
      group: rt.group,
      kind: rt.kind,
      ...(namespace !== undefined ? { namespace } : {}),
    });
    // The bootstrap ClusterRoles and bindings are served beside the log's, in name order as a list is.
    const builtIn = builtInObjects(rt.group, rt.kind);
    const merged =
      builtIn.length === 0
        ? stored
        : [...builtIn, ...stored].sort((a, b) => (String(metaOf(a).name) < String(metaOf(b).name) ? -1 : 1));
    const all = merged.filter((o) => match(o as Obj));
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
        ...(more
          ? {
              continue: Buffer.from(JSON.stringify({ start: start + limit })).toString("base64url"),
              remainingItemCount: all.length - start - limit,
            }
          : {}),
      },
      items: page,
    };
  }

  /** Creates from `body`, which becomes the federation's: the caller must not use it afterwards. */
  async create(rt: ResourceType, namespace: string | undefined, body: unknown, ctx: WriteContext): Promise<KubeObject> {
    const obj = foldWriteOnlyFields(stripServerFields(normalise(rt, body, namespace, undefined, true)));
    const meta = metaOf(obj);
    if (
      (meta.name === undefined || meta.name === "") &&
      typeof meta.generateName === "string" &&
      meta.generateName !== ""
    ) {
      // Five characters from [a-z0-9], as Kubernetes' name generator does.
      obj.metadata = {
        ...meta,
        name: `${meta.generateName}${[...randomBytes(5)].map((b) => "bcdfghjklmnpqrstvwxz2456789"[b % 27]).join("")}`,
      };
    }
    const name = metaOf(obj).name;
    if (name === undefined || name === "") {
      throw new ApiError(
        Reason.Invalid,
        `${rt.kind} "" is invalid: metadata.name: Required value: name or generateName is required`,
        {
          kind: rt.kind,
          causes: [
            {
              reason: "FieldValueRequired",
              field: "metadata.name",
              message: "Required value: name or generateName is required",
            },
          ],
        },
      );
    }
    // Kubernetes validates a create before its storage can say AlreadyExists.
    ctx.warnings.push(...admitOrThrow(rt, obj, ctx.fieldValidation));
    const admitted = this.d.placement ? await this.d.placement.admit(rt, obj) : obj;
    const data = {
      ref: refOf(rt, namespace, String(name)),
      object: admitted as KubeObject,
      ...(ctx.fieldManager ? { fieldManager: ctx.fieldManager } : {}),
    };
    return this.d.commands.handle(
      { type: CommandType.CreateObject, data, metadata: eventMetadata(ctx) },
      { resource: rt, dryRun: ctx.dryRun },
    );
  }

  async update(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    ctx: WriteContext,
    status = false,
  ): Promise<KubeObject> {
    const obj = normalise(rt, body, namespace, name);
    const ref = refOf(rt, namespace, name);
    this.refuseDerived(rt, ref);
    const rv = metaOf(obj).resourceVersion;
    const clean = foldWriteOnlyFields(stripServerFields(obj));
    const data = {
      ref,
      object: clean as KubeObject,
      ...(ctx.fieldManager ? { fieldManager: ctx.fieldManager } : {}),
      ...(rv !== undefined && rv !== "" ? { precondition: expected(rv) } : {}),
    };
    const type = status ? CommandType.UpdateObjectStatus : CommandType.UpdateObject;
    // Admission after decide: Kubernetes refuses a stale resourceVersion before it validates the object.
    const placement = this.d.placement;
    const beforeAppend = status
      ? undefined
      : async (events: readonly FederationEvent[]) => {
          ctx.warnings.push(...admitOrThrow(rt, clean, ctx.fieldValidation));
          if (!placement) return undefined;
          const admitted = (await placement.admit(rt, clean)) as KubeObject;
          return admitted === clean ? undefined : events.map((e) => withObject(e, admitted));
        };
    return this.d.commands.handle(
      { type, data, metadata: eventMetadata(ctx) },
      { resource: rt, dryRun: ctx.dryRun, ...(beforeAppend ? { beforeAppend } : {}) },
    );
  }

  /** Patches the current object and writes it with its resourceVersion as precondition; a lost race retries. */
  async patch(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    patchType: string,
    patch: unknown,
    ctx: WriteContext,
    status = false,
  ): Promise<KubeObject> {
    for (let attempt = 0; ; attempt++) {
      const exists = getObject(this.state, refOf(rt, namespace, name));
      if (!exists && patchType === PatchType.Apply) {
        return this.create(rt, namespace, { ...(patch as Obj), metadata: { ...metaOf(patch as Obj), name } }, ctx);
      }
      const cur = this.current(rt, namespace, name);
      // Server-side apply is approximated by a strategic merge of the applied configuration (no field ownership yet).
      const next =
        patchType === PatchType.Apply ? applyStrategicMergePatch(cur, patch) : applyPatch(patchType, cur, patch);
      const obj = {
        ...(next as Obj),
        metadata: { ...metaOf(next as Obj), resourceVersion: metaOf(cur).resourceVersion },
      };
      try {
        return await this.update(rt, namespace, name, obj, ctx, status);
      } catch (e) {
        if (e instanceof ApiError && e.reason === Reason.Conflict && attempt < 5) continue;
        throw e;
      }
    }
  }

  async delete(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    ctx: WriteContext,
  ): Promise<KubeObject> {
    const ref = refOf(rt, namespace, name);
    this.refuseDerived(rt, ref);
    const want = ((body as { preconditions?: { resourceVersion?: string } } | undefined)?.preconditions ?? {})
      .resourceVersion;
    const data = { ref, ...(want !== undefined ? { precondition: expected(want) } : {}) };
    return this.d.commands.handle(
      { type: CommandType.DeleteObject, data, metadata: eventMetadata(ctx) },
      { resource: rt, dryRun: ctx.dryRun },
    );
  }

  async deleteCollection(
    rt: ResourceType,
    namespace: string | undefined,
    q: URLSearchParams,
    ctx: WriteContext,
  ): Promise<unknown> {
    const list = this.list(rt, namespace, q);
    for (const item of list.items as Obj[]) {
      const m = metaOf(item);
      // Events derived from status reports are read-only; a collection delete leaves them.
      if (this.d.view.isDerivedEvent(refOf(rt, m.namespace, String(m.name)))) continue;
      await this.delete(rt, m.namespace, String(m.name), undefined, ctx).catch((e) => {
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
      metadata: {
        name,
        namespace: meta.namespace,
        uid: meta.uid,
        resourceVersion: meta.resourceVersion,
        creationTimestamp: meta.creationTimestamp,
      },
      spec: { replicas: spec.replicas ?? 1 },
      status: {
        replicas: ((cur.status ?? {}) as Obj).replicas ?? 0,
        selector: Object.entries(sel)
          .map(([k, v]) => `${k}=${v}`)
          .join(","),
      },
    };
  }

  /** Writes to the scale subresource change spec.replicas of the object. */
  async writeScale(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    scale: Obj,
    ctx: WriteContext,
  ): Promise<Obj> {
    const replicas = ((scale.spec ?? {}) as Obj).replicas;
    if (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 0) {
      throw new ApiError(
        Reason.Invalid,
        `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
        {
          name,
          kind: "Scale",
          causes: [
            { reason: "FieldValueInvalid", field: "spec.replicas", message: "must be greater than or equal to 0" },
          ],
        },
      );
    }
    await this.patch(rt, namespace, name, PatchType.Merge, { spec: { replicas } }, ctx);
    return this.scale(rt, namespace, name);
  }

  watch(
    res: ServerResponse,
    rt: ResourceType,
    namespace: string | undefined,
    q: URLSearchParams,
    maxTimeoutS: number,
    render?: (o: KubeObject) => unknown,
  ): void {
    serveWatch(res, this.d.readModel, this.d.view, rt, namespace, q, maxTimeoutS, render);
  }
}
