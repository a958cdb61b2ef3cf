/**
 * A fix to kafkajs 2.2.4 (its last release), applied when this package loads.
 *
 * Each broker connection has a request queue. After every check of its pending requests the queue schedules
 * the next check, and with nothing pending and no throttling it schedules it at a negative delay: a 1 ms timer
 * that re-arms itself for as long as the connection lives. Every consumer, producer and admin connection of a
 * process spins so, idle or not; in the propagation benchmark this was most of the ingest's and the
 * propagator's CPU while idle (kafkajs issue #1556).
 *
 * A check is only needed while requests wait: at the end of a broker's throttle, or a short interval later
 * when they wait for an in-flight slot (a completed request checks again at once anyway). With nothing
 * pending, the next `push` sends or schedules as before.
 */
import KafkajsRequestQueue, { type RequestQueueInternals } from "kafkajs/src/network/requestQueue/index.js";

/** kafkajs's interval for requests waiting for an in-flight slot (src/network/requestQueue). */
const PENDING_CHECK_INTERVAL_MS = 10;

/** kafkajs's RequestQueue class: the same module instance kafkajs itself loads (and bundles, in the CLI). */
export const RequestQueue = KafkajsRequestQueue;

RequestQueue.prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(
  this: RequestQueueInternals,
): void {
  if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
  const throttled = this.throttledUntil - Date.now();
  this.throttleCheckTimeoutId = setTimeout(
    () => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    },
    throttled > 0 ? throttled : PENDING_CHECK_INTERVAL_MS,
  );
};
