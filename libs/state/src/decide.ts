// The decider's command side, for the ingest: turn a validated request into the event to append, refusing at once
// what the (possibly stale) read model already shows to be a conflict. The fold re-checks with the same rules,
// so a refusal here is an early answer, never the only guard.
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
import { resourceVersionOf } from "./queries.ts";
import type { FederationState, RejectionReason } from "./types.ts";

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
  /** Defaults to the object's metadata.resourceVersion when set (optimistic concurrency), else none. */
  readonly precondition?: Precondition;
}

export type Command =
  | { readonly type: typeof CommandType.CreateObject; readonly data: Omit<WriteData, "precondition">; readonly metadata: EventMetadata }
  | { readonly type: typeof CommandType.UpdateObject; readonly data: WriteData; readonly metadata: EventMetadata }
  | { readonly type: typeof CommandType.UpdateObjectStatus; readonly data: WriteData; readonly metadata: EventMetadata }
  | {
      readonly type: typeof CommandType.DeleteObject;
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

function preconditionFor(data: WriteData): Precondition {
  if (data.precondition) return data.precondition;
  const rv = resourceVersionOf(data.object);
  return rv ? { type: PreconditionType.ExpectedResourceVersion, resourceVersion: rv } : { type: PreconditionType.None };
}

function toEvent(command: Command): FederationEvent {
  const { metadata } = command;
  switch (command.type) {
    case CommandType.CreateObject:
      return {
        type: EventType.ObjectCreated,
        data: { ...command.data, precondition: { type: PreconditionType.MustNotExist } },
        metadata,
      };
    case CommandType.UpdateObject:
      return { type: EventType.ObjectUpdated, data: { ...command.data, precondition: preconditionFor(command.data) }, metadata };
    case CommandType.UpdateObjectStatus:
      return {
        type: EventType.ObjectStatusUpdated,
        data: { ...command.data, precondition: preconditionFor(command.data) },
        metadata,
      };
    case CommandType.DeleteObject:
      return {
        type: EventType.ObjectDeleted,
        data: { ref: command.data.ref, precondition: command.data.precondition ?? { type: PreconditionType.None } },
        metadata,
      };
    default: {
      const never: never = command;
      throw new FederationError(ErrorCode.Invalid, `unknown command ${(never as { type: string }).type}`);
    }
  }
}

/** The events to append for `command`; throws a FederationError when the read model already refuses it. */
export function decide(command: Command, state: FederationState): FederationEvent[] {
  const event = toEvent(command);
  const rejection = checkEvent(state, event);
  if (rejection) throw new FederationError(errorCodes[rejection.reason], rejection.message);
  return [event];
}
