import { StatusType, type ClusterHealthReport } from "@kubefed/events";

/** Test data for readers of the status fold (the ingest's tests too): a ClusterHealth report as a worker sends it. */
export const health = (
  cluster: string,
  ready: boolean,
  time: string,
  extra: Partial<ClusterHealthReport> = {},
): ClusterHealthReport => ({
  type: StatusType.ClusterHealth,
  cluster,
  time,
  worker: "w/1",
  ready,
  reason: ready ? "ClusterReady" : "ClusterNotReachable",
  message: ready ? "/readyz ok" : "connect ECONNREFUSED",
  region: "eu",
  zones: ["eu-a"],
  ...extra,
});
