import { describe, expect, it } from "vitest";
import type { JsonObject, KubeObject } from "@kubefed/events";
import { OWNED_BY_LABEL } from "@kubefed/names";
import { DESIRED_HASH_ANNOTATION, desiredForMember, isConverged, withDesiredHash } from "./index.ts";

const deployment = (): KubeObject => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: {
    name: "web",
    namespace: "default",
    labels: { app: "web", [OWNED_BY_LABEL]: "fed1" },
    annotations: { note: "n" },
  },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: "web" } },
    template: {
      metadata: { labels: { app: "web" } },
      spec: { containers: [{ name: "nginx", image: "nginx:1.27", ports: [{ containerPort: 80 }] }] },
    },
  },
});

/** The same Deployment as a member returns it: its metadata, defaults inside elements, status. */
const memberCopy = (): KubeObject => {
  const d = deployment();
  const meta = d.metadata as JsonObject;
  Object.assign(meta, {
    uid: "u",
    resourceVersion: "7",
    generation: 1,
    creationTimestamp: "2026-01-01T00:00:00Z",
    managedFields: [],
  });
  (meta.labels as JsonObject).extra = "member";
  (meta.annotations as JsonObject)["deployment.kubernetes.io/revision"] = "1";
  const spec = d.spec as JsonObject;
  Object.assign(spec, { progressDeadlineSeconds: 600, revisionHistoryLimit: 10, strategy: { type: "RollingUpdate" } });
  const podSpec = (spec.template as JsonObject).spec as JsonObject;
  Object.assign(podSpec, { restartPolicy: "Always", dnsPolicy: "ClusterFirst", securityContext: {} });
  const c = (podSpec.containers as JsonObject[])[0]!;
  Object.assign(c, { terminationMessagePath: "/dev/termination-log", imagePullPolicy: "IfNotPresent", resources: {} });
  (c.ports as JsonObject[])[0]!.protocol = "TCP";
  d.status = { replicas: 2, readyReplicas: 2 };
  return d;
};

const edit = (o: KubeObject, f: (o: KubeObject) => void): KubeObject => {
  const copy = structuredClone(o);
  f(copy);
  return copy;
};
const spec = (o: KubeObject) => o.spec as JsonObject;
const container = (o: KubeObject) =>
  (((spec(o).template as JsonObject).spec as JsonObject).containers as JsonObject[])[0]!;
const labels = (o: KubeObject) => (o.metadata as JsonObject).labels as JsonObject;
const annotations = (o: KubeObject) => (o.metadata as JsonObject).annotations as JsonObject;

describe("isConverged", () => {
  it("is true for an identical object", () => {
    expect(isConverged(deployment(), deployment())).toBe(true);
  });

  it("ignores what the member adds: metadata, defaults (also inside array elements), extra labels and annotations, status", () => {
    expect(isConverged(deployment(), memberCopy())).toBe(true);
  });

  it("is false when a desired scalar differs", () => {
    expect(
      isConverged(
        deployment(),
        edit(memberCopy(), (o) => (spec(o).replicas = 3)),
      ),
    ).toBe(false);
    expect(
      isConverged(
        deployment(),
        edit(memberCopy(), (o) => (container(o).image = "nginx:1.26")),
      ),
    ).toBe(false);
  });

  it("is false when a desired field is missing from the member", () => {
    expect(
      isConverged(
        deployment(),
        edit(memberCopy(), (o) => delete spec(o).replicas),
      ),
    ).toBe(false);
    expect(
      isConverged(
        deployment(),
        edit(memberCopy(), (o) => delete container(o).ports),
      ),
    ).toBe(false);
  });

  it("is false when a desired label or annotation is changed or missing", () => {
    expect(
      isConverged(
        deployment(),
        edit(memberCopy(), (o) => (labels(o).app = "other")),
      ),
    ).toBe(false);
    expect(
      isConverged(
        deployment(),
        edit(memberCopy(), (o) => delete labels(o)[OWNED_BY_LABEL]),
      ),
    ).toBe(false);
    expect(
      isConverged(
        deployment(),
        edit(memberCopy(), (o) => (annotations(o).note = "changed")),
      ),
    ).toBe(false);
    expect(
      isConverged(
        deployment(),
        edit(memberCopy(), (o) => delete (o.metadata as JsonObject).annotations),
      ),
    ).toBe(false);
  });

  it("is false when arrays differ in length, either way", () => {
    const twoContainers = edit(deployment(), (o) => {
      const podSpec = (spec(o).template as JsonObject).spec as JsonObject;
      (podSpec.containers as JsonObject[]).push({ name: "sidecar", image: "busybox" });
    });
    expect(isConverged(twoContainers, memberCopy())).toBe(false);
    expect(
      isConverged(
        deployment(),
        edit(
          memberCopy(),
          (o) => (((spec(o).template as JsonObject).spec as JsonObject).containers = [container(o), container(o)]),
        ),
      ),
    ).toBe(false);
  });

  it("compares array elements in order", () => {
    const d: KubeObject = { apiVersion: "v1", kind: "X", list: ["a", "b"] };
    expect(isConverged(d, { ...d, list: ["b", "a"] })).toBe(false);
  });

  it("does not see a field the user removed, but the desired hash does", () => {
    const withReplicas = withDesiredHash(deployment());
    const withoutReplicas = withDesiredHash(edit(deployment(), (o) => delete spec(o).replicas));
    const member = edit(
      memberCopy(),
      (o) => (annotations(o)[DESIRED_HASH_ANNOTATION] = annotations(withReplicas)[DESIRED_HASH_ANNOTATION]!),
    );
    expect(isConverged(withReplicas, member)).toBe(true);
    // The member still has replicas: 2, which a subset check cannot object to; the changed hash can.
    expect(
      isConverged(
        edit(withoutReplicas, (o) => delete (o.metadata as JsonObject).annotations),
        member,
      ),
    ).toBe(true);
    expect(isConverged(withoutReplicas, member)).toBe(false);
  });

  it('is strict about types and spellings: 1 vs "1", Quantity "1" vs "1000m"', () => {
    expect(isConverged({ a: 1 }, { a: "1" })).toBe(false);
    expect(isConverged({ a: "1" }, { a: 1 })).toBe(false);
    expect(isConverged({ cpu: "1" }, { cpu: "1000m" })).toBe(false);
    expect(isConverged({ a: true }, { a: "true" })).toBe(false);
  });

  it("is false when the shape differs", () => {
    expect(isConverged({ a: { b: 1 } }, { a: [1] })).toBe(false);
    expect(isConverged({ a: { b: 1 } }, { a: null })).toBe(false);
    expect(isConverged({ a: [1] }, { a: { 0: 1 } })).toBe(false);
    expect(isConverged({ a: "x" }, { a: { x: 1 } })).toBe(false);
  });

  it('matches Go zero values the member omits (null, "", 0, false, []) with a missing key', () => {
    for (const zero of [null, "", 0, false, []]) {
      expect(isConverged({ a: zero }, {})).toBe(true);
      expect(isConverged({ a: zero }, { a: zero })).toBe(true);
    }
    expect(isConverged({ a: null }, { a: "x" })).toBe(false);
    expect(isConverged({ a: [] }, { a: null })).toBe(true);
    expect(isConverged({ a: [] }, { a: [1] })).toBe(false);
    expect(isConverged({ a: 0 }, { a: 1 })).toBe(false);
  });

  it("does not match an empty object with a missing key (emptyDir: {} means something)", () => {
    expect(isConverged({ emptyDir: {} }, {})).toBe(false);
    expect(isConverged({ emptyDir: {} }, { emptyDir: { medium: "" } })).toBe(true);
  });

  it("uses own keys only", () => {
    expect(isConverged({ constructor: "x" }, {})).toBe(false);
  });
});

describe("desiredForMember + isConverged", () => {
  it("a Service converges with the member's allocations in place", () => {
    const federated: KubeObject = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web", namespace: "default", uid: "fed-uid" },
      spec: {
        type: "NodePort",
        selector: { app: "web" },
        clusterIP: "10.0.0.1",
        ports: [{ port: 80, nodePort: 30001 }],
      },
    };
    const desired = withDesiredHash(desiredForMember(federated, { federation: "fed1" }));
    const member = edit(desired, (o) => {
      Object.assign(o.metadata as JsonObject, { uid: "member-uid", resourceVersion: "3" });
      Object.assign(spec(o), {
        clusterIP: "10.96.0.5",
        clusterIPs: ["10.96.0.5"],
        ipFamilies: ["IPv4"],
        ipFamilyPolicy: "SingleStack",
      });
      (spec(o).ports as JsonObject[])[0]!.nodePort = 31234;
      (spec(o).ports as JsonObject[])[0]!.protocol = "TCP";
    });
    expect(isConverged(desired, member)).toBe(true);
  });
});
