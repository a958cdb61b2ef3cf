// The one kafkajs internal this package touches (requestqueue.ts), as far as it touches it.
declare module "kafkajs/src/network/requestQueue/index.js" {
  export interface RequestQueueInternals {
    pending: unknown[];
    throttledUntil: number;
    throttleCheckTimeoutId: NodeJS.Timeout | null;
    checkPendingRequests(): void;
    scheduleCheckPendingRequests(): void;
  }
  const RequestQueue: {
    new (options: {
      maxInFlightRequests?: number | null;
      requestTimeout: number;
      enforceRequestTimeout: boolean;
      clientId: string;
      broker: string;
      logger: unknown;
    }): RequestQueueInternals;
    prototype: RequestQueueInternals;
  };
  export default RequestQueue;
}
