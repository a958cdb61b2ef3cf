// Whether an event may apply to the current state. Shared by `evolve` (the arbiter) and `decide` (the ingest's
// early refusal), so both judge by the same rules and the same messages.
import { EventType, PreconditionType, type FederationEvent, type ObjectRef } from "@kubefed/events";
import { isNamespaceRef } from "@kubefed/names";
import { IMPLICIT_NAMESPACES } from "./keys.ts";
import { getObject, namespaceExists, resourceVersionOf } from "./queries.ts";
import { RejectionReason, type FederationState, type Rejection } from "./types.ts";

const describe = (ref: ObjectRef): string => `${ref.kind} "${ref.name}"`;

/** The rejection of `event` against `state`, or undefined when it applies. Pure and total: never throws. */
export function checkEvent(state: FederationState, event: FederationEvent): Rejection | undefined {
  const { ref, precondition } = event.data;
  const current = getObject(state, ref);

  if (isNamespaceRef(ref) && ref.namespace !== null) {
    return { reason: RejectionReason.Invalid, message: "a Namespace is cluster-scoped: its namespace must be empty" };
  }

  switch (event.type) {
    case EventType.ObjectCreated: {
      if (precondition.type === PreconditionType.ExpectedResourceVersion) {
        return {
          reason: RejectionReason.Invalid,
          message: "resourceVersion should not be set on objects to be created",
        };
      }
      if (current) return { reason: RejectionReason.AlreadyExists, message: `${describe(ref)} already exists` };
      if (ref.namespace !== null && !namespaceExists(state, ref.namespace)) {
        return { reason: RejectionReason.NotFound, message: `namespaces "${ref.namespace}" not found` };
      }
      return undefined;
    }
    case EventType.ObjectUpdated:
    case EventType.ObjectStatusUpdated:
    case EventType.ObjectDeleted: {
      if (precondition.type === PreconditionType.MustNotExist) {
        return { reason: RejectionReason.Invalid, message: `"must not exist" is not a precondition of ${event.type}` };
      }
      // Checked before existence: `default` exists even without a Namespace object, and may never be deleted.
      if (event.type === EventType.ObjectDeleted && isNamespaceRef(ref) && IMPLICIT_NAMESPACES.has(ref.name)) {
        return {
          reason: RejectionReason.Forbidden,
          message: `namespaces "${ref.name}" is forbidden: this namespace may not be deleted`,
        };
      }
      if (!current) return { reason: RejectionReason.NotFound, message: `${describe(ref)} not found` };
      if (precondition.type === PreconditionType.ExpectedResourceVersion) {
        const actual = resourceVersionOf(current);
        if (actual !== precondition.resourceVersion) {
          return {
            reason: RejectionReason.Conflict,
            message:
              `Operation cannot be fulfilled on ${describe(ref)}: the object has been modified; ` +
              "please apply your changes to the latest version and try again",
          };
        }
      }
      return undefined;
    }
    default: {
      const never: never = event;
      return { reason: RejectionReason.Invalid, message: `unknown event type ${(never as { type: string }).type}` };
    }
  }
}
