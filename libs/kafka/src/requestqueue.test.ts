import { afterEach, describe, expect, it, vi } from "vitest";
import { RequestQueue } from "./requestqueue.ts";

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const queue = () =>
  new RequestQueue({
    maxInFlightRequests: 1,
    requestTimeout: 30_000,
    enforceRequestTimeout: true,
    clientId: "test",
    broker: "b:9092",
    logger: quiet,
  });

describe("kafkajs request queue fix", () => {
  afterEach(() => vi.useRealTimers());

  it("schedules nothing once nothing is pending (kafkajs 2.2.4 re-armed a 1 ms timer forever)", () => {
    vi.useFakeTimers();
    const q = queue();
    const checks = vi.spyOn(q, "checkPendingRequests");
    q.checkPendingRequests();
    expect(q.throttleCheckTimeoutId).toBeNull();
    vi.advanceTimersByTime(1000);
    expect(checks).toHaveBeenCalledTimes(1);
  });

  /** A queue with one request waiting, whose checks are only counted. */
  const waiting = (throttledForMs = 0) => {
    vi.useFakeTimers();
    const q = queue();
    q.pending.push({});
    if (throttledForMs > 0) q.throttledUntil = Date.now() + throttledForMs;
    return { q, checks: vi.spyOn(q, "checkPendingRequests").mockImplementation(() => undefined) };
  };

  it("checks again at the end of a throttle while requests wait", () => {
    const { q, checks } = waiting(200);
    q.scheduleCheckPendingRequests();
    expect(q.throttleCheckTimeoutId).not.toBeNull();
    vi.advanceTimersByTime(199);
    expect(checks).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(checks).toHaveBeenCalledTimes(1);
  });

  it("checks again shortly while requests wait for an in-flight slot, once per interval", () => {
    const { q, checks } = waiting();
    q.scheduleCheckPendingRequests();
    q.scheduleCheckPendingRequests();
    vi.advanceTimersByTime(10);
    expect(checks).toHaveBeenCalledTimes(1);
  });
});
