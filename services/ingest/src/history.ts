/**
 * History: every revision of one object, rebuilt from the objects log (the audit trail is the log itself).
 * The events of the object's namespace are folded with the same `evolve` as the read model, so a revision
 * is exactly what the API answered at that resourceVersion; rejected writes are not revisions.
 */
import type { FederationEvent, ObjectRef } from "@kubefed/events";
import { isNamespaceRef, objectKey } from "@kubefed/names";
import { diffObjects, evolve, getOutcome, initialState, VOLATILE_METADATA_PATHS, type DiffEntry } from "@kubefed/state";

export interface Revision {
  resourceVersion: string;
  time: string;
  user: string;
  requestId: string;
  operation: "create" | "update" | "status" | "delete";
  changes: DiffEntry[];
}

const OPERATION: Record<FederationEvent["type"], Revision["operation"]> = {
  ObjectCreated: "create",
  ObjectUpdated: "update",
  ObjectStatusUpdated: "status",
  ObjectDeleted: "delete",
};

/** True when the event can affect `ref`: its own events and those of its namespace (a cascade delete). */
export function concerns(
  event: FederationEvent,
  ref: Pick<ObjectRef, "group" | "kind" | "namespace" | "name">,
): boolean {
  const r = event.data.ref;
  if (objectKey(r) === objectKey(ref)) return true;
  return ref.namespace !== null && isNamespaceRef(r) && r.name === ref.namespace;
}

/** Folds the relevant events (in log order) and lists the revisions of `ref`. Pure. */
export function revisionsOf(
  events: { event: FederationEvent; offset: string }[],
  ref: Pick<ObjectRef, "group" | "kind" | "namespace" | "name">,
): Revision[] {
  const key = objectKey(ref);
  let state = initialState();
  const out: Revision[] = [];
  let previous: unknown;
  for (const { event, offset } of events) {
    state = evolve(state, event, { offset });
    const outcome = getOutcome(state, event.metadata.eventId);
    if (!outcome || outcome.status !== "applied" || !outcome.changedKeys.includes(key)) continue;
    const deleted = event.type === "ObjectDeleted";
    const next = deleted ? undefined : outcome.object;
    out.push({
      resourceVersion: offset,
      time: event.metadata.time,
      user: event.metadata.actor.user,
      requestId: event.metadata.requestId,
      operation: outcome.key === key ? OPERATION[event.type] : "delete",
      // generation is bookkeeping that follows any spec change; the spec paths themselves are listed.
      changes: diffObjects(previous as never, next as never, {
        ignore: [...VOLATILE_METADATA_PATHS, "/metadata/generation"],
      }),
    });
    previous = next;
  }
  return out;
}
