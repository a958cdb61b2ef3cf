/**
 * The one place that turns errors into HTTP answers: every failure leaves the API as a Kubernetes `Status`
 * (reason, code, message, details.causes). A 500 is logged with context and says nothing internal.
 */
import { ErrorCode, FederationError, PreconditionType, toFederationError } from "@kubefed/events";
import { CommandType, type Command, type Rejection } from "@kubefed/state";
import type { ResourceType } from "./resources.ts";

export interface StatusCause {
  reason?: string;
  field?: string;
  message: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** Kubernetes `StatusReason` values this API answers with. */
export const Reason = {
  BadRequest: "BadRequest",
  Unauthorized: "Unauthorized",
  Forbidden: "Forbidden",
  NotFound: "NotFound",
  MethodNotAllowed: "MethodNotAllowed",
  NotAcceptable: "NotAcceptable",
  AlreadyExists: "AlreadyExists",
  Conflict: "Conflict",
  Gone: "Gone",
  Expired: "Expired",
  RequestEntityTooLarge: "RequestEntityTooLarge",
  UnsupportedMediaType: "UnsupportedMediaType",
  Invalid: "Invalid",
  TooManyRequests: "TooManyRequests",
  InternalError: "InternalError",
  ServiceUnavailable: "ServiceUnavailable",
  Timeout: "Timeout",
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

const CODES: Record<Reason, number> = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  NotAcceptable: 406,
  AlreadyExists: 409,
  Conflict: 409,
  Gone: 410,
  Expired: 410,
  RequestEntityTooLarge: 413,
  UnsupportedMediaType: 415,
  Invalid: 422,
  TooManyRequests: 429,
  InternalError: 500,
  ServiceUnavailable: 503,
  Timeout: 504,
};

/** An error the API answers with as is. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly reason: Reason,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
  }
  get code(): number {
    return CODES[this.reason];
  }
}

export interface KubeStatus {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Failure" | "Success";
  message: string;
  reason: Reason | "";
  details?: StatusDetails;
  code: number;
}

export function statusOf(err: ApiError): KubeStatus {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: err.message,
    reason: err.reason,
    ...(err.details ? { details: err.details } : {}),
    code: err.code,
  };
}

export function successStatus(details?: StatusDetails): KubeStatus {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Success",
    message: "",
    reason: "",
    ...(details ? { details } : {}),
    code: 200,
  };
}

const FROM_CODE: Partial<Record<ErrorCode, Reason>> = {
  Invalid: Reason.Invalid,
  Conflict: Reason.Conflict,
  AlreadyExists: Reason.AlreadyExists,
  NotFound: Reason.NotFound,
  Gone: Reason.Gone,
  Unauthorized: Reason.Unauthorized,
  Forbidden: Reason.Forbidden,
  TooManyRequests: Reason.TooManyRequests,
  Timeout: Reason.Timeout,
  Unavailable: Reason.ServiceUnavailable,
};

/**
 * Normalises anything thrown into an ApiError. Unknown failures become a 500 whose message says only that;
 * `internal` is set so the caller logs the original with its context.
 */
export function toApiError(err: unknown): { error: ApiError; internal?: FederationError } {
  if (err instanceof ApiError) return { error: err };
  const fe = toFederationError(err);
  const reason = FROM_CODE[fe.code];
  if (reason === undefined) {
    return {
      error: new ApiError(Reason.InternalError, "an internal error occurred; it has been logged"),
      internal: fe,
    };
  }
  const causes = fe.fieldErrors.map((c) => ({ field: c.field, message: c.message, reason: "FieldValueInvalid" }));
  const details: StatusDetails | undefined =
    reason === Reason.ServiceUnavailable ? { retryAfterSeconds: 1 } : causes.length > 0 ? { causes } : undefined;
  return {
    error: new ApiError(reason, fe.message, details),
    ...(reason === Reason.ServiceUnavailable ? { internal: fe } : {}),
  };
}

/** Kubernetes' message shapes, so kubectl prints what users are used to. */
export const messages = {
  notFound: (resource: string, name: string) => `${resource} "${name}" not found`,
  alreadyExists: (resource: string, name: string) => `${resource} "${name}" already exists`,
  conflict: (resource: string, name: string) =>
    `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
  invalid: (kind: string, name: string, causes: StatusCause[]) =>
    `${kind} "${name}" is invalid: ${causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join(", ")}`,
};

/** `deployments.apps`, `configmaps`: how Kubernetes names a resource in its messages. */
const qualified = (rt: Pick<ResourceType, "group" | "resource">): string =>
  rt.group ? `${rt.resource}.${rt.group}` : rt.resource;

/** 404 for an object the request names. */
export function notFoundError(rt: Pick<ResourceType, "group" | "resource">, name: string): ApiError {
  return new ApiError(Reason.NotFound, messages.notFound(qualified(rt), name), {
    name,
    group: rt.group,
    kind: rt.resource,
  });
}

/**
 * The answer for a write that `decide` refused early or the fold rejected (it lost a race): one mapping for both, in
 * Kubernetes' words. `actualVersion`: the object's resourceVersion as last seen, for a failed delete precondition.
 */
export function refusalError(
  rejection: Rejection,
  command: Command,
  rt: Pick<ResourceType, "group" | "resource">,
  actualVersion: string | undefined,
): ApiError {
  const { ref } = command.data;
  const details: StatusDetails = { name: ref.name, group: rt.group, kind: rt.resource };
  switch (rejection.reason) {
    case "AlreadyExists":
      return new ApiError(Reason.AlreadyExists, messages.alreadyExists(rt.resource, ref.name), details);
    case "Conflict": {
      const p = command.type === CommandType.DeleteObject ? command.data.precondition : undefined;
      if (p?.type === PreconditionType.ExpectedResourceVersion && actualVersion !== undefined) {
        // The caller's own DeleteOptions.preconditions failed.
        return new ApiError(
          Reason.Conflict,
          `Operation cannot be fulfilled on ${rt.resource} "${ref.name}": Precondition failed: ResourceVersion: Precondition failed: UID in precondition: ${p.resourceVersion}, UID in object meta: ${actualVersion}`,
        );
      }
      return new ApiError(Reason.Conflict, messages.conflict(qualified(rt), ref.name), details);
    }
    case "NotFound":
      // What a create can miss is its namespace: the object itself must not exist.
      if (command.type === CommandType.CreateObject && ref.namespace !== null) {
        return new ApiError(Reason.NotFound, `namespaces "${ref.namespace}" not found`, {
          name: ref.namespace,
          kind: "namespaces",
        });
      }
      return notFoundError(rt, ref.name);
    case "Forbidden":
      return new ApiError(Reason.Forbidden, rejection.message, details);
    case "Invalid":
      return new ApiError(Reason.Invalid, rejection.message, details);
    default: {
      const never: never = rejection.reason;
      return new ApiError(Reason.InternalError, `unknown rejection ${String(never)}`);
    }
  }
}
