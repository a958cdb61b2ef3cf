/**
 * A recorded objects log for the history benchmark: N encoded events of a federation's life (namespaces, then
 * ConfigMaps and Deployments created, updated, status-updated and deleted by a few dozen users, 5 ms apart), as
 * the ingest would have appended them. Deterministic (a seeded generator), so runs compare.
 */
import { encodeEvent, EventType, PreconditionType, type FederationEvent, type ObjectRef } from "@kubefed/events";

export const ACTORS = Array.from({ length: 20 }, (_, i) => `user-${i}`);
export const NAMESPACES = Array.from({ length: 50 }, (_, i) => `team-${i}`);
const START = Date.parse("2026-01-01T00:00:00Z");
const STEP_MS = 5;
const MAX_OBJECTS = 20_000;

/** xorshift32: the same log on every run. */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

export interface RecordedLog {
  readonly records: { value: Buffer; headers: Record<string, string | Buffer> }[];
  readonly bytes: number;
  /** The object with the most revisions, and how many. */
  readonly busiest: { ref: ObjectRef; revisions: number };
  readonly start: number;
  readonly end: number;
}

export function recordLog(n: number): RecordedLog {
  const random = rng(42);
  const live: ObjectRef[] = [];
  const revisions = new Map<string, number>();
  let serial = 0;
  const records: RecordRecordedLog = [];
  let bytes = 0;
  const push = (i: number, type: FederationEvent["type"], ref: ObjectRef, data: Record<string, unknown>) => {
    const event = {
      type,
      data: { ref, ...data },
      metadata: {
        eventId: `e-${i}`,
        time: new Date(START + i * STEP_MS).toISOString(),
        actor: { user: ACTORS[Math.floor(random() * ACTORS.length)]!, groups: ["system:authenticated"] },
        requestId: `r-${i}`,
      },
    } as unknown as FederationEvent;
    const m = encodeEvent(event);
    bytes += m.value.length;
    records.push(m);
    const k = `${ref.kind}/${ref.namespace}/${ref.name}`;
    revisions.set(k, (revisions.get(k) ?? 0) + 1);
  };
  const payload = (ref: ObjectRef, v: number) =>
    ref.kind === "ConfigMap"
      ? {
          metadata: { name: ref.name, namespace: ref.namespace, labels: { app: ref.name, tier: "web" } },
          data: { version: String(v), "settings.yaml": `replicas: ${v % 7}\nfeature: ${v % 3 === 0}\n` },
        }
      : {
          metadata: { name: ref.name, namespace: ref.namespace, labels: { app: ref.name } },
          spec: {
            replicas: 1 + (v % 5),
            selector: { matchLabels: { app: ref.name } },
            template: {
              metadata: { labels: { app: ref.name } },
              spec: { containers: [{ name: "app", image: `registry.example/app:${v}` }] },
            },
          },
        };
  for (let i = 0; i < n; i++) {
    if (i < NAMESPACES.length) {
      const ref = { group: "", version: "v1", kind: "Namespace", namespace: null, name: NAMESPACES[i]! };
      push(i, EventType.ObjectCreated, ref, {
        precondition: { type: PreconditionType.MustNotExist },
        object: { metadata: { name: ref.name } },
      });
      continue;
    }
    const r = random();
    if (live.length < 100 || (r < 0.1 && live.length < MAX_OBJECTS)) {
      const deployment = random() < 0.3;
      const ref: ObjectRef = {
        group: deployment ? "apps" : "",
        version: "v1",
        kind: deployment ? "Deployment" : "ConfigMap",
        namespace: NAMESPACES[Math.floor(random() * NAMESPACES.length)]!,
        name: `obj-${serial++}`,
      };
      live.push(ref);
      push(i, EventType.ObjectCreated, ref, {
        precondition: { type: PreconditionType.MustNotExist },
        object: payload(ref, i),
      });
    } else if (r < 0.12) {
      const [ref] = live.splice(Math.floor(random() * live.length), 1);
      push(i, EventType.ObjectDeleted, ref!, { precondition: { type: PreconditionType.None } });
    } else {
      // Updates favour a few hot objects, as real workloads do.
      const hot = random() < 0.2;
      const ref = live[hot ? Math.floor(random() * Math.min(20, live.length)) : Math.floor(random() * live.length)]!;
      if (ref.kind === "Deployment" && random() < 0.3)
        push(i, EventType.ObjectStatusUpdated, ref, {
          precondition: { type: PreconditionType.None },
          object: { ...payload(ref, i), status: { replicas: i % 5, readyReplicas: i % 5, observedGeneration: 1 } },
        });
      else
        push(i, EventType.ObjectUpdated, ref, {
          precondition: { type: PreconditionType.None },
          object: payload(ref, i),
        });
    }
  }
  let busiest = { key: "", count: 0 };
  for (const [key, count] of revisions) if (count > busiest.count) busiest = { key, count };
  const [kind, namespace, name] = busiest.key.split("/") as [string, string, string];
  return {
    records,
    bytes,
    busiest: {
      ref: {
        group: kind === "Deployment" ? "apps" : "",
        version: "v1",
        kind,
        namespace: namespace === "null" ? null : namespace,
        name,
      },
      revisions: busiest.count,
    },
    start: START,
    end: START + n * STEP_MS,
  };
}

type RecordRecordedLog = RecordedLog["records"];
