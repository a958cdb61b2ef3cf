// The decider's command side, for the ingest: turn a validated request into the event to append, refusing at once
// what the (possibly stale) read model already shows to be a conflict. The fold re-checks with the same rules
// (checkEvent), so a refusal here is an early answer, never the only guard. Commands are imperative, events past tense.
import {
  ErrorCode,
  EventType,
  FederationError,
  PreconditionType,
  type EventMetadata,
  type FederationEvent,
  type KubeObject,
  type ObjectRef,
  type Precondition,
} from "@kubefed/events";
import { checkEvent } from "./preconditions.ts";
import { getObject, resourceVersionOf } from "./queries.ts";
import type { FederationState, Rejection, RejectionReason } from "./types.ts";

export const CommandType = {
  CreateObject: "CreateObject",
  UpdateObject: "UpdateObject",
  UpdateObjectStatus: "UpdateObjectStatus",
  DeleteObject: "DeleteObject",
} as const;
export type CommandType = (typeof CommandType)[keyof typeof CommandType];

interface WriteData {
  readonly ref: ObjectRef;
  readonly object: KubeObject;
  readonly fieldManager?: string;
  /** Defaults to the object's metadata.resourceVersion when set (optimistic concurrency), else the version decide saw. */
  readonly precondition?: Precondition;
}

export type Command =
  | {
      readonly type: typeof CommandType.CreateObject;
      readonly data: Omit<WriteData, "precondition">;
      readonly metadata: EventMetadata;
    }
  | { readonly type: typeof CommandType.UpdateObject; readonly data: WriteData; readonly metadata: EventMetadata }
  | { readonly type: typeof CommandType.UpdateObjectStatus; readonly data: WriteData; readonly metadata: EventMetadata }
  | {
      readonly type: typeof CommandType.DeleteObject;
      /** `precondition` defaults to the version decide saw. */
      readonly data: { readonly ref: ObjectRef; readonly precondition?: Precondition };
      readonly metadata: EventMetadata;
    };

const errorCodes: Readonly<Record<RejectionReason, ErrorCode>> = {
  AlreadyExists: ErrorCode.AlreadyExists,
  Conflict: ErrorCode.Conflict,
  NotFound: ErrorCode.NotFound,
  Invalid: ErrorCode.Invalid,
  Forbidden: ErrorCode.Forbidden,
};
const reasons: ReadonlyMap<ErrorCode, RejectionReason> = new Map(
  Object.entries(errorCodes).map(([reason, code]) => [code, reason as RejectionReason]),
);

const expected = (resourceVersion: string): Precondition => ({
  type: PreconditionType.ExpectedResourceVersion,
  resourceVersion,
});

/**
 * An update's precondition: the one given, else the object's metadata.resourceVersion (optimistic concurrency), else
 * the version this decision saw. A write that names no version replaces the object the caller was shown; if another
 * write gets there first, the fold refuses it (Conflict) rather than silently overwrite a version nobody saw.
 */
function preconditionFor(data: WriteData, current: KubeObject | undefined): Precondition {
  if (data.precondition) return data.precondition;
  const rv = resourceVersionOf(data.object);
  if (rv) return expected(rv);
  const seen = current ? resourceVersionOf(current) : undefined;
  return seen ? expected(seen) : { type: PreconditionType.None };
}

function toEvent(command: Command, state: FederationState): FederationEvent {
  const { metadata } = command;
  const current = getObject(state, command.data.ref);
  switch (command.type) {
    case CommandType.CreateObject:
      return {
        type: EventType.ObjectCreated,
        data: { ...command.data, precondition: { type: PreconditionType.MustNotExist } },
        metadata,
      };
    case CommandType.UpdateObject:
      return {
        type: EventType.ObjectUpdated,
        data: { ...command.data, precondition: preconditionFor(command.data, current) },
        metadata,
      };
    case CommandType.UpdateObjectStatus:
      return {
        type: EventType.ObjectStatusUpdated,
        data: { ...command.data, precondition: preconditionFor(command.data, current) },
        metadata,
      };
    case CommandType.DeleteObject: {
      // Without a caller's precondition, the delete is of the version this decision saw (as for an update).
      const seen = current ? resourceVersionOf(current) : undefined;
      const precondition = command.data.precondition ?? (seen ? expected(seen) : { type: PreconditionType.None });
      return { type: EventType.ObjectDeleted, data: { ref: command.data.ref, precondition }, metadata };
    }
    default: {
      const never: never = command;
      throw new FederationError(ErrorCode.Invalid, `unknown command ${(never as { type: string }).type}`);
    }
  }
}

/**
 * The events to append for `command`. Throws a FederationError (code = the fold's RejectionReason, message = the
 * fold's) when `state` already refuses it: the same rules the fold applies, so the refusal is the verdict the fold
 * would reach, given early. A refusal carries no effects; `rejectionOf` reads it back.
 */
export function decide(command: Command, state: FederationState): FederationEvent[] {
  const event = toEvent(command, state);
  const rejection = checkEvent(state, event);
  if (rejection) throw new FederationError(errorCodes[rejection.reason], rejection.message);
  return [event];
}

/** The rejection a refusal thrown by `decide` stands for; undefined for any other error. */
export function rejectionOf(err: unknown): Rejection | undefined {
  if (!(err instanceof FederationError)) return undefined;
  const reason = reasons.get(err.code);
  return reason === undefined ? undefined : { reason, message: err.message };
}
