import { describe, expect, it } from "vitest";
import {
  ErrorCode,
  FederationError,
  codeForHttpStatus,
  fromKubernetesRefusal,
  isRetryable,
  toFederationError,
} from "./index.ts";

describe("FederationError", () => {
  it("carries code, retryability from the code, cause and field errors", () => {
    const cause = new Error("low level");
    const err = new FederationError(ErrorCode.Invalid, "bad name", {
      cause,
      fieldErrors: [{ field: "metadata.name", message: "must be non-empty" }],
    });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe("FederationError");
    expect(err.code).toBe("Invalid");
    expect(err.retryable).toBe(false);
    expect(err.terminal).toBe(true);
    expect(err.cause).toBe(cause);
    expect(err.fieldErrors).toHaveLength(1);
    expect(FederationError.is(err)).toBe(true);
    expect(FederationError.is(err, ErrorCode.Invalid)).toBe(true);
    expect(FederationError.is(err, ErrorCode.Conflict)).toBe(false);
    expect(FederationError.is(cause)).toBe(false);
  });
  it("lets the caller override retryability", () => {
    expect(new FederationError(ErrorCode.Internal, "x", { retryable: false }).retryable).toBe(false);
  });
  it("classifies codes", () => {
    expect(isRetryable(ErrorCode.Unavailable)).toBe(true);
    expect(isRetryable(ErrorCode.KeyNotFound)).toBe(true);
    expect(isRetryable(ErrorCode.PoisonEvent)).toBe(false);
    expect(isRetryable(ErrorCode.Conflict)).toBe(false);
  });
});

describe("toFederationError", () => {
  it("returns a FederationError unchanged", () => {
    const err = new FederationError(ErrorCode.Gone, "too old");
    expect(toFederationError(err)).toBe(err);
  });
  it("wraps non-errors", () => {
    const err = toFederationError("boom");
    expect(err.code).toBe("Internal");
    expect(err.message).toContain("boom");
    expect(err.cause).toBe("boom");
    expect(toFederationError(undefined).code).toBe("Internal");
  });
  it("wraps plain errors as retryable Internal", () => {
    const cause = new TypeError("x is undefined");
    const err = toFederationError(cause);
    expect(err).toMatchObject({ code: "Internal", retryable: true, message: "x is undefined" });
    expect(err.cause).toBe(cause);
  });
  it("maps Kubernetes API errors by status and reason", () => {
    const apiError = (code: number, body: unknown) => Object.assign(new Error(`HTTP ${code}`), { code, body });
    expect(toFederationError(apiError(404, { reason: "NotFound", message: 'configmaps "a" not found' }))).toMatchObject(
      {
        code: "NotFound",
        message: 'configmaps "a" not found',
      },
    );
    expect(toFederationError(apiError(409, JSON.stringify({ reason: "AlreadyExists" }))).code).toBe("AlreadyExists");
    expect(toFederationError(apiError(409, "not json")).code).toBe("Conflict");
    expect(toFederationError(apiError(500, null))).toMatchObject({ code: "Unavailable", retryable: true });
    expect(toFederationError({ statusCode: 429, message: "slow down" }).code).toBe("TooManyRequests");
    expect(toFederationError({ status: 410 }).code).toBe("Gone");
  });
  it("maps network errnos, timeouts and aborts to retryable codes", () => {
    expect(toFederationError(Object.assign(new Error("refused"), { code: "ECONNREFUSED" }))).toMatchObject({
      code: "Unavailable",
      retryable: true,
    });
    expect(toFederationError(Object.assign(new Error("t"), { code: "ETIMEDOUT" })).code).toBe("Timeout");
    const abort = new Error("aborted");
    abort.name = "AbortError";
    expect(toFederationError(abort).code).toBe("Unavailable");
  });
  it("honours kafkajs retriable flags", () => {
    expect(toFederationError(Object.assign(new Error("leader"), { retriable: true }))).toMatchObject({
      code: "Unavailable",
      retryable: true,
    });
    expect(toFederationError(Object.assign(new Error("auth"), { retriable: false }))).toMatchObject({
      code: "Internal",
      retryable: false,
    });
  });
  it("maps HTTP statuses", () => {
    expect(codeForHttpStatus(422)).toBe("Invalid");
    expect(codeForHttpStatus(409, "AlreadyExists")).toBe("AlreadyExists");
    expect(codeForHttpStatus(502)).toBe("Unavailable");
    expect(codeForHttpStatus(418)).toBe("Internal");
  });
});

describe("fromKubernetesRefusal", () => {
  it("takes the code from the HTTP status and Status.reason, the message and the causes from the Status", () => {
    const body = JSON.stringify({
      kind: "Status",
      code: 422,
      reason: "Invalid",
      message: 'Job.batch "once" is invalid: spec.template: field is immutable',
      details: {
        causes: [
          { reason: "FieldValueInvalid", field: "spec.template", message: "field is immutable" },
          { reason: "FieldValueRequired" },
        ],
      },
    });
    const err = fromKubernetesRefusal(422, body, "apply Job once in cluster m1");
    expect(err).toMatchObject({
      code: "Invalid",
      retryable: false,
      message: 'apply Job once in cluster m1: Job.batch "once" is invalid: spec.template: field is immutable',
    });
    expect(err.fieldErrors).toEqual([
      { field: "spec.template", message: "field is immutable" },
      { field: "", message: "FieldValueRequired" },
    ]);
    expect(
      fromKubernetesRefusal(409, JSON.stringify({ reason: "AlreadyExists", message: "exists" }), "create").code,
    ).toBe("AlreadyExists");
    expect(fromKubernetesRefusal(409, JSON.stringify({ reason: "Conflict", message: "changed" }), "apply").code).toBe(
      "Conflict",
    );
  });
  it("keeps the start of a body that is not a Status, and lets the caller say it is retryable", () => {
    const err = fromKubernetesRefusal(502, "<html>bad gateway</html>", "get", { retryable: false });
    expect(err).toMatchObject({
      code: "Unavailable",
      retryable: false,
      message: "get: <html>bad gateway</html>",
      fieldErrors: [],
    });
    expect(fromKubernetesRefusal(403, "{}", "list", { retryable: true })).toMatchObject({
      code: "Forbidden",
      retryable: true,
      message: "list: {}",
    });
  });
  it("has a retryable code for a peer that did not answer at all", () => {
    expect(isRetryable(ErrorCode.Unreachable)).toBe(true);
  });
});
