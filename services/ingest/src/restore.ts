/**
 * Restore: a new event that puts an earlier revision's content back, written through the ordinary write path
 * (admission, decide, append, fold), so history stays append-only and the restore is audited like any write (its
 * actor, time and request id, and field manager `kubefed-restore`). An existing object is updated with a
 * resourceVersion precondition (the caller's, or the one the read model holds), so a restore raced by a newer
 * write fails with 409; a deleted object is created again (a new incarnation, with a new uid).
 */
import { metaOf, type KubeObject } from "@kubefed/events";
import { getObject } from "@kubefed/state";
import { parseObjectKey } from "@kubefed/names";
import type { Handlers, WriteContext } from "./handlers.ts";
import type { HistoryIndex } from "./historyindex.ts";
import { namedKey, readableChanges, revisionToRestore } from "./history.ts";
import type { ReadModel } from "./readmodel.ts";
import { ApiError, Reason } from "./status.ts";

export const RESTORE_FIELD_MANAGER = "kubefed-restore";

/** What the client may set of a stored object: server fields and reported status go. */
function contentOf(o: KubeObject): Record<string, unknown> {
  const { status: _status, metadata, ...rest } = o as Record<string, unknown>;
  const meta = { ...(metadata as Record<string, unknown>) };
  for (const f of [
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "managedFields",
    "selfLink",
  ])
    delete meta[f];
  return { ...rest, metadata: meta };
}

export interface RestoreAnswer {
  kind: "Restore";
  apiVersion: "federation/v1beta1";
  dryRun: boolean;
  /** The revision restored. */
  revision: string;
  operation: "update" | "create";
  changes: ReturnType<typeof readableChanges>;
  object: KubeObject;
}

/** POST /federation/restore?resource=TYPE&name=NAME[&namespace=NS]&revision=RV[&resourceVersion=CUR][&dryRun=All] */
export async function restore(
  d: { index: HistoryIndex; handlers: Handlers; readModel: Pick<ReadModel, "current"> },
  q: URLSearchParams,
  ctx: WriteContext,
): Promise<RestoreAnswer> {
  const { rt, key, name } = namedKey(
    q,
    "/federation/restore?resource=TYPE&name=NAME[&namespace=NS]&revision=RV[&resourceVersion=CURRENT]",
  );
  const rev = revisionToRestore(d.index, key, q.get("revision"));
  const ref = parseObjectKey(key);
  const namespace = ref.namespace ?? undefined;
  const current = getObject(d.readModel.current, ref);
  const expected = q.get("resourceVersion");
  const content = contentOf(rev.object!);
  const c: WriteContext = { ...ctx, fieldManager: RESTORE_FIELD_MANAGER };
  let object: KubeObject;
  if (current) {
    const rv = expected ?? String(metaOf(current).resourceVersion);
    const body = { ...content, metadata: { ...(content.metadata as object), resourceVersion: rv } };
    object = await d.handlers.update(rt, namespace, name, body, c);
  } else {
    if (expected !== null && expected !== "")
      throw new ApiError(
        Reason.Conflict,
        `Operation cannot be fulfilled on ${rt.kind} "${name}": the object has been deleted since resourceVersion ${expected}`,
        { name, group: rt.group, kind: rt.resource },
      );
    object = await d.handlers.create(rt, namespace, content, c);
  }
  return {
    kind: "Restore",
    apiVersion: "federation/v1beta1",
    dryRun: ctx.dryRun,
    revision: String(rev.offset),
    operation: current ? "update" : "create",
    changes: readableChanges(current, object),
    object,
  };
}
