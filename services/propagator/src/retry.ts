/**
 * How one reconcile of a key ended, and what that means for the cursor and for retries: a run that did not reach
 * the member covers nothing (the cursor goes back, the recovery resync redoes it); a retryable failure is retried
 * with backoff by the key queue; anything else (converged, or a terminal failure, reported) is settled.
 */
import { ErrorCode, FederationError } from "@kubefed/events";
import type { RetryPolicy } from "./keyqueue.ts";

/** null when the key converged (or there was nothing to do), else the failure, already reported. */
export type RunResult = FederationError | null;

/** Whether a run reached the member, and so covers the records it ran for. */
export const reachedMember = (r: RunResult): boolean => !FederationError.is(r, ErrorCode.Unreachable);

/** Backoff of a key's retries after failed reconciles. */
export const RECONCILE_BACKOFF_MS: readonly number[] = [500, 1000, 2000, 5000, 10_000, 30_000, 60_000];

export const RECONCILE_RETRIES: RetryPolicy<RunResult> = {
  backoffMs: RECONCILE_BACKOFF_MS,
  failed: (r) => r !== null && reachedMember(r) && r.retryable,
  untried: (r) => !reachedMember(r),
};
