// The one error base of the project. Retryability is data, not a subclass: a consumer records, counts and
// skips a terminal error and retries everything else with backoff. Every `catch` goes through
// `toFederationError` so that the rest of the code only ever sees this shape.

export const ErrorCode = {
  /** The request or object is malformed; retrying the same input cannot succeed. */
  Invalid: "Invalid",
  /** A precondition (resourceVersion) did not hold. */
  Conflict: "Conflict",
  AlreadyExists: "AlreadyExists",
  NotFound: "NotFound",
  /** The requested history (e.g. a watch resourceVersion) is no longer available. */
  Gone: "Gone",
  Unauthorized: "Unauthorized",
  Forbidden: "Forbidden",
  /** Too many requests / throttled by a dependency. */
  TooManyRequests: "TooManyRequests",
  Timeout: "Timeout",
  /** A dependency (Kafka, a member cluster, DNS) is unreachable or failing. */
  Unavailable: "Unavailable",
  /**
   * No answer came back at all (connection refused or reset, nothing within the timeout), as opposed to an answer
   * that refuses: the peer may be down, so its caller stops sending it work rather than retrying each request.
   */
  Unreachable: "Unreachable",
  /**
   * An encrypted event names a key this process does not have. Retryable on purpose: skipping it would make
   * this reader's fold diverge from everyone else's; the fix is to roll out the key file, then the retry works.
   */
  KeyNotFound: "KeyNotFound",
  /** A message that can never be decoded or applied (corrupt bytes, unknown schema). Terminal. */
  PoisonEvent: "PoisonEvent",
  /** A bug or an unclassified failure. */
  Internal: "Internal",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const retryableByDefault: Readonly<Record<ErrorCode, boolean>> = {
  Invalid: false,
  Conflict: false,
  AlreadyExists: false,
  NotFound: false,
  Gone: false,
  Unauthorized: false,
  Forbidden: false,
  TooManyRequests: true,
  Timeout: true,
  Unavailable: true,
  Unreachable: true,
  KeyNotFound: true,
  PoisonEvent: false,
  // Unknown failures are retried with backoff (as controller-runtime does); a code path that knows better says so.
  Internal: true,
};

/** One field-level problem, surfaced by the API as a Kubernetes `Status.details.causes` entry. */
export interface FieldCause {
  readonly field: string;
  readonly message: string;
}

export interface FederationErrorOptions {
  /** Overrides the code's default retryability. */
  readonly retryable?: boolean;
  /** The underlying error (standard `Error.cause`). */
  readonly cause?: unknown;
  readonly fieldErrors?: readonly FieldCause[];
}

export class FederationError extends Error {
  override readonly name = "FederationError";
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly fieldErrors: readonly FieldCause[];

  constructor(code: ErrorCode, message: string, options: FederationErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? retryableByDefault[code];
    this.fieldErrors = options.fieldErrors ?? [];
  }

  get terminal(): boolean {
    return !this.retryable;
  }

  static is(err: unknown, code?: ErrorCode): err is FederationError {
    return err instanceof FederationError && (code === undefined || err.code === code);
  }
}

export const isRetryable = (code: ErrorCode): boolean => retryableByDefault[code];

const networkErrnos: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "EAI_AGAIN",
  "ENOTFOUND",
]);

const httpStatusCodes: ReadonlyMap<number, ErrorCode> = new Map([
  [400, ErrorCode.Invalid],
  [401, ErrorCode.Unauthorized],
  [403, ErrorCode.Forbidden],
  [404, ErrorCode.NotFound],
  [408, ErrorCode.Timeout],
  [409, ErrorCode.Conflict],
  [410, ErrorCode.Gone],
  [422, ErrorCode.Invalid],
  [429, ErrorCode.TooManyRequests],
  [503, ErrorCode.Unavailable],
  [504, ErrorCode.Timeout],
]);

/** Maps an HTTP status (e.g. from a member cluster's API server) to a code; 5xx not listed are Unavailable. */
export function codeForHttpStatus(status: number, reason?: string): ErrorCode {
  // Kubernetes answers 409 for both; its Status.reason tells them apart.
  if (status === 409 && reason === "AlreadyExists") return ErrorCode.AlreadyExists;
  return httpStatusCodes.get(status) ?? (status >= 500 ? ErrorCode.Unavailable : ErrorCode.Internal);
}

type Bag = Record<string, unknown>;
const isBag = (v: unknown): v is Bag => typeof v === "object" && v !== null;

/** Kubernetes clients put the Status either parsed or as a JSON string in `body`. */
function statusReason(body: unknown): { reason?: string; message?: string } {
  let parsed: unknown = body;
  if (typeof body === "string") {
    try {
      parsed = JSON.parse(body);
    } catch {
      return {};
    }
  }
  if (!isBag(parsed)) return {};
  return {
    ...(typeof parsed.reason === "string" ? { reason: parsed.reason } : {}),
    ...(typeof parsed.message === "string" ? { message: parsed.message } : {}),
  };
}

/**
 * Normalises anything thrown into a FederationError without losing the original (kept as `cause`).
 * Recognised by shape, so no client library needs importing: HTTP errors with a numeric `code`/`status`/
 * `statusCode` (@kubernetes/client-node ApiException), kafkajs errors (`retriable`), Node network errnos,
 * aborts and timeouts. Anything else becomes a retryable Internal error.
 */
export function toFederationError(err: unknown): FederationError {
  if (err instanceof FederationError) return err;
  if (!isBag(err)) return new FederationError(ErrorCode.Internal, `non-error thrown: ${String(err)}`, { cause: err });

  const message = typeof err.message === "string" && err.message !== "" ? err.message : String(err);
  const name = typeof err.name === "string" ? err.name : "";

  const httpStatus = [err.statusCode, err.status, err.code].find(
    (v): v is number => typeof v === "number" && v >= 400 && v <= 599,
  );
  if (httpStatus !== undefined) {
    const status = statusReason(err.body);
    const code = codeForHttpStatus(httpStatus, status.reason);
    return new FederationError(code, status.message ?? message, { cause: err });
  }
  if (typeof err.code === "string" && networkErrnos.has(err.code)) {
    return new FederationError(ErrorCode.Unavailable, message, { cause: err });
  }
  if (name === "TimeoutError" || err.code === "ETIMEDOUT" || name === "KafkaJSRequestTimeoutError") {
    return new FederationError(ErrorCode.Timeout, message, { cause: err });
  }
  if (name === "AbortError") {
    // Cancelled by our own shutdown signal: not a failure of the work itself, so do not count it as terminal.
    return new FederationError(ErrorCode.Unavailable, message, { cause: err });
  }
  if (typeof err.retriable === "boolean") {
    // kafkajs marks each error as retriable or not.
    return new FederationError(err.retriable ? ErrorCode.Unavailable : ErrorCode.Internal, message, {
      cause: err,
      retryable: err.retriable,
    });
  }
  return new FederationError(ErrorCode.Internal, message, { cause: err });
}

/** The Status a Kubernetes API server answers a refusal with: the fields read here. */
interface KubernetesStatusBody {
  reason?: unknown;
  message?: unknown;
  details?: { causes?: { field?: unknown; message?: unknown; reason?: unknown }[] };
}

/**
 * A Kubernetes API server's refusal as a FederationError: the code from the HTTP status and Status.reason, the
 * message `<what>: <Status.message>` (the body's start when it is not a Status), Status.details.causes as field
 * errors (field "" when a cause names none).
 */
export function fromKubernetesRefusal(
  httpStatus: number,
  body: string,
  what: string,
  options: Pick<FederationErrorOptions, "retryable"> = {},
): FederationError {
  let s: KubernetesStatusBody | undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    s = isBag(parsed) ? (parsed as KubernetesStatusBody) : undefined;
  } catch {
    s = undefined;
  }
  const reason = typeof s?.reason === "string" ? s.reason : undefined;
  const message = typeof s?.message === "string" ? s.message : body.slice(0, 200);
  const causes = Array.isArray(s?.details?.causes) ? s.details.causes : [];
  const fieldErrors = causes.filter(isBag).map((c) => ({
    field: typeof c.field === "string" ? c.field : "",
    message: typeof c.message === "string" ? c.message : typeof c.reason === "string" ? c.reason : "",
  }));
  return new FederationError(codeForHttpStatus(httpStatus, reason), `${what}: ${message}`, { ...options, fieldErrors });
}
