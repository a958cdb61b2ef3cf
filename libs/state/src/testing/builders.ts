// Terse event builders for tests. Event ids default to a counter so each built event is distinct.
import {
  EventType,
  PreconditionType,
  type EventMetadata,
  type FederationEvent,
  type KubeObject,
  type ObjectRef,
  type Precondition,
} from "@kubefed/events";

let counter = 0;
const meta = (over: Partial<EventMetadata> = {}): EventMetadata => {
  counter += 1;
  return {
    eventId: `evt-${counter}`,
    time: "2024-05-01T10:00:00.500Z",
    actor: { user: "alice", groups: ["devs"] },
    requestId: `req-${counter}`,
    ...over,
  };
};

export const ref = (kind: string, namespace: string | null, name: string, group = "", version = "v1"): ObjectRef => ({
  group,
  version,
  kind,
  namespace,
  name,
});
export const nsRef = (name: string): ObjectRef => ref("Namespace", null, name);
export const cmRef = (namespace: string, name: string): ObjectRef => ref("ConfigMap", namespace, name);
export const deployRef = (namespace: string, name: string): ObjectRef => ref("Deployment", namespace, name, "apps");

export const rv = (resourceVersion: string): Precondition => ({
  type: PreconditionType.ExpectedResourceVersion,
  resourceVersion,
});
export const mustNotExist: Precondition = { type: PreconditionType.MustNotExist };
export const none: Precondition = { type: PreconditionType.None };

interface Opts {
  readonly precondition?: Precondition;
  readonly metadata?: Partial<EventMetadata>;
}

export const created = (r: ObjectRef, object: KubeObject = {}, o: Opts = {}): FederationEvent => ({
  type: EventType.ObjectCreated,
  data: { ref: r, precondition: o.precondition ?? mustNotExist, object },
  metadata: meta(o.metadata),
});
export const updated = (r: ObjectRef, object: KubeObject, o: Opts = {}): FederationEvent => ({
  type: EventType.ObjectUpdated,
  data: { ref: r, precondition: o.precondition ?? none, object },
  metadata: meta(o.metadata),
});
export const statusUpdated = (r: ObjectRef, object: KubeObject, o: Opts = {}): FederationEvent => ({
  type: EventType.ObjectStatusUpdated,
  data: { ref: r, precondition: o.precondition ?? none, object },
  metadata: meta(o.metadata),
});
export const deleted = (r: ObjectRef, o: Opts = {}): FederationEvent => ({
  type: EventType.ObjectDeleted,
  data: { ref: r, precondition: o.precondition ?? none },
  metadata: meta(o.metadata),
});
