// Reports of the `<fed>.status` topic: what the propagators observe in the member clusters.
//
// The objects log says what the federation wants; the status topic says what the members have. Propagators write
// it; the ingest folds it into Cluster status, the federated objects' status (aggregated and per cluster) and
// Events. Reports are observations, not decisions: a later report for the same key supersedes an earlier one.
//
// Message layout:
//   key     `<cluster>` for ClusterHealth, `<cluster>|<objectKey>` for ObjectObserved (latest-per-key semantics).
//   value   Avro binary of StatusReport (v1), schema named by the kf-schema header as on the objects log.
import avro from "avsc";
import { ErrorCode, FederationError, toFederationError } from "./errors.ts";
import { objectKey } from "@kubefed/names";
import type { JsonObject, ObjectRef } from "./types.ts";

export const StatusType = {
  /** A health transition (or the first probe) of a member cluster, after flap damping. */
  ClusterHealth: "ClusterHealth",
  /** The outcome of reconciling one object in one member, and the member's status of it. */
  ObjectObserved: "ObjectObserved",
} as const;
export type StatusType = (typeof StatusType)[keyof typeof StatusType];

export interface ClusterHealthReport {
  readonly type: typeof StatusType.ClusterHealth;
  readonly cluster: string;
  /** RFC 3339, the worker's clock. */
  readonly time: string;
  /** Which worker observed it (host/pid), for operators. */
  readonly worker: string;
  readonly ready: boolean;
  /** CamelCase reason, e.g. "ClusterReady", "ClusterNotReachable", "ReadyzFailed". */
  readonly reason: string;
  readonly message: string;
  /** From the member's node topology labels when it has nodes; null when unknown. */
  readonly region: string | null;
  readonly zones: readonly string[];
}

export const ObservedOutcome = {
  /** The member has the desired object (created or updated by this reconcile, or already equal). */
  Applied: "Applied",
  /** The federation no longer places the object there (or it was deleted) and the member's copy is gone. */
  Removed: "Removed",
  /** Reconcile failed; `message` says why; it will be retried. */
  Failed: "Failed",
} as const;
export type ObservedOutcome = (typeof ObservedOutcome)[keyof typeof ObservedOutcome];

export interface ObjectObservedReport {
  readonly type: typeof StatusType.ObjectObserved;
  readonly cluster: string;
  readonly time: string;
  readonly worker: string;
  /** The federated object (its federation identity; the member object has the same group/kind/namespace/name). */
  readonly ref: ObjectRef;
  /** metadata.generation of the federated object this outcome is for (0 when removed). */
  readonly generation: number;
  /** The federation's resourceVersion of the object that was applied ("" when removed). */
  readonly resourceVersion: string;
  readonly outcome: ObservedOutcome;
  /** Why, for Failed; a short human sentence otherwise (e.g. "created", "updated", "unchanged"). */
  readonly message: string;
  /** True when this reconcile created the object in the member (drives the "created in cluster X" Event). */
  readonly created: boolean;
  /** The member object's `status` (as the member reports it), null when there is none or it was removed. */
  readonly status: JsonObject | null;
}

export type StatusReport = ClusterHealthReport | ObjectObservedReport;

const NAMESPACE = "io.kubefed.status";

const refSchema = {
  type: "record",
  name: "ObjectRef",
  fields: [
    { name: "group", type: "string" },
    { name: "version", type: "string" },
    { name: "kind", type: "string" },
    { name: "namespace", type: ["null", "string"] },
    { name: "name", type: "string" },
  ],
};

const statusReportSchema = {
  type: "record",
  name: "StatusReport",
  namespace: NAMESPACE,
  fields: [
    { name: "type", type: { type: "enum", name: "StatusType", symbols: ["ClusterHealth", "ObjectObserved"] } },
    { name: "cluster", type: "string" },
    { name: "time", type: "string" },
    { name: "worker", type: "string" },
    {
      name: "health",
      type: [
        "null",
        {
          type: "record",
          name: "Health",
          fields: [
            { name: "ready", type: "boolean" },
            { name: "reason", type: "string" },
            { name: "message", type: "string" },
            { name: "region", type: ["null", "string"] },
            { name: "zones", type: { type: "array", items: "string" } },
          ],
        },
      ],
      default: null,
    },
    {
      name: "observed",
      type: [
        "null",
        {
          type: "record",
          name: "Observed",
          fields: [
            { name: "ref", type: refSchema },
            { name: "generation", type: "long" },
            { name: "resourceVersion", type: "string" },
            {
              name: "outcome",
              type: { type: "enum", name: "ObservedOutcome", symbols: ["Applied", "Removed", "Failed"] },
            },
            { name: "message", type: "string" },
            { name: "created", type: "boolean" },
            // The member's status as JSON text: open-ended like the objects' payloads.
            { name: "statusJson", type: ["null", "string"] },
          ],
        },
      ],
      default: null,
    },
  ],
};
// Unions here are all ["null", X], which avsc reads unwrapped (null or the value).
const statusReportV1 = avro.Type.forSchema(statusReportSchema as Parameters<typeof avro.Type.forSchema>[0]);

/** Hex SHA-256 of the canonical form, in the kf-schema header. */
export const STATUS_SCHEMA_FINGERPRINT: string = statusReportV1.fingerprint("sha256").toString("hex");
const SCHEMA_HEADER = "kf-schema";

export interface EncodedStatus {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

export const statusKey = (report: StatusReport): string =>
  report.type === StatusType.ClusterHealth ? report.cluster : `${report.cluster}|${objectKey(report.ref)}`;

export function encodeStatus(report: StatusReport): EncodedStatus {
  const common = { type: report.type, cluster: report.cluster, time: report.time, worker: report.worker };
  const value =
    report.type === StatusType.ClusterHealth
      ? {
          ...common,
          health: {
            ready: report.ready,
            reason: report.reason,
            message: report.message,
            region: report.region,
            zones: [...report.zones],
          },
          observed: null,
        }
      : {
          ...common,
          health: null,
          observed: {
            ref: report.ref,
            generation: report.generation,
            resourceVersion: report.resourceVersion,
            outcome: report.outcome,
            message: report.message,
            created: report.created,
            statusJson: report.status === null ? null : JSON.stringify(report.status),
          },
        };
  return {
    key: statusKey(report),
    value: statusReportV1.toBuffer(value),
    headers: { [SCHEMA_HEADER]: STATUS_SCHEMA_FINGERPRINT },
  };
}

interface Decoded {
  type: StatusType;
  cluster: string;
  time: string;
  worker: string;
  health: { ready: boolean; reason: string; message: string; region: string | null; zones: string[] } | null;
  observed: {
    ref: ObjectRef;
    generation: number;
    resourceVersion: string;
    outcome: ObservedOutcome;
    message: string;
    created: boolean;
    statusJson: string | null;
  } | null;
}

/** Decodes a status message; an unknown schema or a corrupt value is a PoisonEvent error (skip and log it). */
export function decodeStatus(input: {
  value: Buffer;
  headers: Record<string, Buffer | string | undefined>;
}): StatusReport {
  const schema = input.headers[SCHEMA_HEADER]?.toString();
  if (schema !== STATUS_SCHEMA_FINGERPRINT) {
    throw new FederationError(
      ErrorCode.PoisonEvent,
      `status report with unknown schema ${schema ?? "(no kf-schema header)"}`,
    );
  }
  let d: Decoded;
  try {
    d = statusReportV1.fromBuffer(input.value) as Decoded;
  } catch (e) {
    throw new FederationError(ErrorCode.PoisonEvent, `corrupt status report: ${toFederationError(e).message}`);
  }
  const common = { cluster: d.cluster, time: d.time, worker: d.worker };
  if (d.type === StatusType.ClusterHealth && d.health) {
    return { type: StatusType.ClusterHealth, ...common, ...d.health, region: d.health.region ?? null };
  }
  if (d.type === StatusType.ObjectObserved && d.observed) {
    const o = d.observed;
    const ref: ObjectRef = {
      group: o.ref.group,
      version: o.ref.version,
      kind: o.ref.kind,
      namespace: o.ref.namespace ?? null,
      name: o.ref.name,
    };
    return {
      type: StatusType.ObjectObserved,
      ...common,
      ref,
      generation: Number(o.generation),
      resourceVersion: o.resourceVersion,
      outcome: o.outcome,
      message: o.message,
      created: o.created,
      status: o.statusJson === null ? null : (JSON.parse(o.statusJson) as JsonObject),
    };
  }
  throw new FederationError(
    ErrorCode.PoisonEvent,
    `status report of type ${d.type} without its ${d.type === StatusType.ClusterHealth ? "health" : "observed"} record`,
  );
}
