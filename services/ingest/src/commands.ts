/**
 * The ingest's one write path. A route builds a command (libs/state's `Command`) and calls `handle`, which owns the
 * rest: load the read model's state → `decide` → append the events → wait for the fold's verdict. `decide` refuses at
 * once what that state already shows (with the fold's own rules); the fold stays the arbiter of races. Both kinds of
 * refusal leave through one mapping (status.ts's `refusalError`), so an early refusal and a lost race read alike.
 */
import {
  encodeEvent,
  isSecretRef,
  metaOf,
  toFederationError,
  type FederationEvent,
  type Keyring,
  type KubeObject,
} from "@kubefed/events";
import {
  CommandType,
  decide,
  getObject,
  rejectionOf,
  resourceVersionOf,
  type Command,
  type FederationState,
  type Outcome,
  type Rejection,
} from "@kubefed/state";
import type { Appender } from "@kubefed/kafka";
import type { ReadModel } from "./readmodel.ts";
import type { ResourceType } from "./resources.ts";
import { ApiError, Reason, refusalError } from "./status.ts";

/** What the write path needs of the read model: its state, and the outcome of an event it is waiting for. */
export type WriteModel = Pick<ReadModel, "current" | "expect" | "forget" | "foldOwn">;

export interface CommandHandlerDeps {
  model: WriteModel;
  appender: Pick<Appender, "append">;
  topic: string;
  keyring: Keyring | undefined;
  /** How long a write waits for its event to be folded before answering 504. */
  foldTimeoutMs: number;
  /** The object as the API shows it (reported status merged in). */
  present: (o: KubeObject) => KubeObject;
  onAppended: (type: string) => void;
  /**
   * Checks a write needs beyond its request's authorization, on the state it is decided on (RBAC escalation, a
   * patch that creates): throws the refusal, and then nothing is appended.
   */
  guard?: (command: Command, state: FederationState, resource: string) => void;
}

export interface HandleOptions {
  /** The resource the request addressed: refusals name the object by it, as Kubernetes does. */
  resource: Pick<ResourceType, "group" | "resource">;
  /** dryRun=All: decided and checked, then answered with what would be stored; nothing is appended. */
  dryRun?: boolean;
  /**
   * Runs after `decide` accepted the command and before anything is appended. Admission of an update goes here:
   * Kubernetes checks an update's resourceVersion before validating it (a create is validated first, by the route).
   * It may answer the events to append instead (admission changed the object).
   */
  beforeAppend?: (
    events: readonly FederationEvent[],
  ) => void | undefined | Promise<readonly FederationEvent[] | undefined>;
}

export class CommandHandler {
  constructor(private readonly d: CommandHandlerDeps) {}

  /** Decides `command` on the current state, appends its events and answers with the object the fold stored. */
  async handle(command: Command, opts: HandleOptions): Promise<KubeObject> {
    const state = this.d.model.current;
    this.d.guard?.(command, state, opts.resource.resource);
    let events: FederationEvent[];
    try {
      events = decide(command, state);
    } catch (e) {
      const rejection = rejectionOf(e);
      if (!rejection) throw e;
      throw this.refused(rejection, command, opts, state);
    }
    events = [...((await opts.beforeAppend?.(events)) ?? events)];
    if (opts.dryRun) return dryRunResult(command, state);
    return this.append(command, events, opts);
  }

  private refused(rejection: Rejection, command: Command, opts: HandleOptions, state: FederationState): ApiError {
    const current = getObject(state, command.data.ref);
    return refusalError(rejection, command, opts.resource, current ? resourceVersionOf(current) : undefined);
  }

  /** Appends the events in one produce and waits until the read model has folded them all. */
  private async append(command: Command, events: readonly FederationEvent[], opts: HandleOptions): Promise<KubeObject> {
    if (command.type !== CommandType.DeleteObject && isSecretRef(command.data.ref) && !this.d.keyring) {
      throw new ApiError(
        Reason.ServiceUnavailable,
        "secret encryption is not configured on this server (INGEST_SECRETS_KEY_FILE); Secrets cannot be written",
        { retryAfterSeconds: 60 },
      );
    }
    const messages = events.map((e) => encodeEvent(e, { keyring: this.d.keyring }));
    // Registered before the append: the fold may be faster than the broker's ack.
    const outcomes = events.map((e) => this.d.model.expect(e.metadata.eventId));
    const forget = () => {
      for (const e of events) this.d.model.forget(e.metadata.eventId);
    };
    let appended;
    try {
      appended = await this.d.appender.append(
        this.d.topic,
        messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
      );
    } catch (e) {
      forget();
      throw new ApiError(
        Reason.ServiceUnavailable,
        `the event log is not accepting writes right now: ${toFederationError(e).message}`,
        { retryAfterSeconds: 1 },
      );
    }
    appended.forEach((a, i) => {
      const m = messages[i];
      if (!m) return;
      // Headers as the tail would see them (Buffers), so the fold reads the very same bytes.
      const headers = Object.fromEntries(
        Object.entries(m.headers).map(([k, v]) => [k, Buffer.isBuffer(v) ? v : Buffer.from(v)]),
      );
      try {
        this.d.model.foldOwn({ value: m.value, headers }, a.offset);
      } catch {
        // The tail folds it (and retries what needs retrying); the outcome arrives from there.
      }
    });
    for (const e of events) this.d.onAppended(e.type);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ApiError(
              Reason.Timeout,
              "the write was appended to the log but is not visible yet; it will take effect",
            ),
          ),
        this.d.foldTimeoutMs,
      );
    });
    try {
      let last: Outcome | undefined;
      for (const outcome of outcomes) {
        last = await Promise.race([outcome, timeout]);
        if (last.status === "rejected") throw this.refused(last, command, opts, this.d.model.current);
      }
      if (last?.status !== "applied") throw new ApiError(Reason.InternalError, "a command was decided into no events");
      return this.d.present(last.object);
    } finally {
      clearTimeout(timer);
      forget();
    }
  }
}

/** What a write would store, for dryRun=All: decided on the current state, the fold is not asked. */
function dryRunResult(command: Command, state: FederationState): KubeObject {
  const current = getObject(state, command.data.ref);
  switch (command.type) {
    case CommandType.CreateObject:
      // The fold makes the creating event's id the object's uid.
      return { ...command.data.object, metadata: { ...metaOf(command.data.object), uid: command.metadata.eventId } };
    case CommandType.UpdateObject:
    case CommandType.UpdateObjectStatus: {
      const base = current ? metaOf(current) : {};
      const server = {
        uid: base.uid,
        creationTimestamp: base.creationTimestamp,
        resourceVersion: base.resourceVersion,
      };
      return { ...command.data.object, metadata: { ...metaOf(command.data.object), ...server } } as KubeObject;
    }
    case CommandType.DeleteObject:
      // decide refuses a delete of a missing object, so there is one.
      return current as KubeObject;
    default: {
      const never: never = command;
      throw new ApiError(Reason.InternalError, `unknown command ${(never as { type: string }).type}`);
    }
  }
}
