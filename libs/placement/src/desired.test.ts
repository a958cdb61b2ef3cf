import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { JsonObject, KubeObject } from "@kubefed/events";
import { CLUSTER_SELECTOR_ANNOTATION, OWNED_BY_LABEL } from "@kubefed/names";
import { canonicalJson, DESIRED_HASH_ANNOTATION, desiredForMember, desiredHash, withDesiredHash } from "./index.ts";
import { sha256Hex } from "./sha256.ts";

const fed = { federation: "fed1" };
const serverMetadata = {
  uid: "7d1c1a3e-0000-4000-8000-000000000001",
  resourceVersion: "42",
  generation: 3,
  creationTimestamp: "2026-01-01T00:00:00Z",
  deletionTimestamp: "2026-01-02T00:00:00Z",
  deletionGracePeriodSeconds: 30,
  managedFields: [{ manager: "kubectl", operation: "Apply" }],
  selfLink: "/api/v1/namespaces/default/configmaps/c",
  ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "o", uid: "u" }],
  finalizers: ["example.com/f"],
  generateName: "c-",
};

describe("desiredForMember", () => {
  it("keeps what the user wrote and drops server-owned metadata and status", () => {
    const object: KubeObject = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "c",
        namespace: "default",
        labels: { app: "a" },
        annotations: { note: "n" },
        ...serverMetadata,
      },
      data: { k: "v" },
      status: { anything: true },
    };
    expect(desiredForMember(object, fed)).toEqual({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "c",
        namespace: "default",
        labels: { app: "a", [OWNED_BY_LABEL]: "fed1" },
        annotations: { note: "n" },
      },
      data: { k: "v" },
    });
  });

  it("is a deep copy: the input is untouched and the output shares nothing", () => {
    const object: KubeObject = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "c", labels: { a: "1" } },
      data: { k: "v" },
    };
    const before = structuredClone(object);
    const out = desiredForMember(object, fed);
    (out.data as JsonObject).k = "changed";
    ((out.metadata as JsonObject).labels as JsonObject).a = "changed";
    expect(object).toEqual(before);
  });

  it("adds the owned-by label, also without labels or metadata, and overrides a user's value", () => {
    expect(desiredForMember({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" } }, fed).metadata).toEqual({
      name: "c",
      labels: { [OWNED_BY_LABEL]: "fed1" },
    });
    expect(desiredForMember({ apiVersion: "v1", kind: "ConfigMap" }, fed).metadata).toEqual({
      labels: { [OWNED_BY_LABEL]: "fed1" },
    });
    const spoofed = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "c", labels: { [OWNED_BY_LABEL]: "other" } },
    };
    expect(desiredForMember(spoofed, fed).metadata).toEqual({ name: "c", labels: { [OWNED_BY_LABEL]: "fed1" } });
  });

  it("drops kubectl's last-applied-configuration and the Deployment revision, keeps the cluster selector", () => {
    const selector = '[{"key":"region","operator":"In","values":["eu"]}]';
    const object: KubeObject = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: {
        name: "d",
        annotations: {
          "kubectl.kubernetes.io/last-applied-configuration": "{}",
          "deployment.kubernetes.io/revision": "4",
          [CLUSTER_SELECTOR_ANNOTATION]: selector,
        },
      },
      spec: { replicas: 2 },
    };
    expect((desiredForMember(object, fed).metadata as JsonObject).annotations).toEqual({
      [CLUSTER_SELECTOR_ANNOTATION]: selector,
    });
  });

  it("drops annotations that end up empty", () => {
    const object: KubeObject = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "c", annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}" } },
    };
    expect(desiredForMember(object, fed).metadata).not.toHaveProperty("annotations");
  });

  describe("Service", () => {
    const service = (spec: JsonObject): KubeObject => ({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "s", namespace: "default" },
      spec,
    });

    it("drops the member's allocations: cluster IPs, node ports, health check node port, IP families", () => {
      const out = desiredForMember(
        service({
          type: "LoadBalancer",
          selector: { app: "a" },
          clusterIP: "10.96.0.10",
          clusterIPs: ["10.96.0.10"],
          ipFamilies: ["IPv4"],
          ipFamilyPolicy: "SingleStack",
          externalTrafficPolicy: "Local",
          healthCheckNodePort: 31000,
          ports: [
            { name: "http", port: 80, targetPort: 8080, protocol: "TCP", nodePort: 30080 },
            { name: "https", port: 443, protocol: "TCP", nodePort: 30443 },
          ],
        }),
        fed,
      );
      expect(out.spec).toEqual({
        type: "LoadBalancer",
        selector: { app: "a" },
        externalTrafficPolicy: "Local",
        ports: [
          { name: "http", port: 80, targetPort: 8080, protocol: "TCP" },
          { name: "https", port: 443, protocol: "TCP" },
        ],
      });
    });

    it("keeps clusterIP None of a headless Service (a choice, not an allocation)", () => {
      expect(
        desiredForMember(service({ clusterIP: "None", clusterIPs: ["None"], ports: [{ port: 80 }] }), fed).spec,
      ).toEqual({
        clusterIP: "None",
        clusterIPs: ["None"],
        ports: [{ port: 80 }],
      });
      expect(desiredForMember(service({ clusterIP: "None" }), fed).spec).toEqual({ clusterIP: "None" });
    });

    it("leaves an ExternalName Service as written", () => {
      const spec = { type: "ExternalName", externalName: "example.com" };
      expect(desiredForMember(service(spec), fed).spec).toEqual(spec);
    });

    it("only applies to core v1 Services", () => {
      const other: KubeObject = {
        apiVersion: "example.com/v1",
        kind: "Service",
        metadata: { name: "s" },
        spec: { clusterIP: "x" },
      };
      expect(desiredForMember(other, fed).spec).toEqual({ clusterIP: "x" });
    });
  });

  describe("Job", () => {
    const generated = {
      "batch.kubernetes.io/controller-uid": "7d1c1a3e-0000-4000-8000-000000000002",
      "batch.kubernetes.io/job-name": "j",
      "controller-uid": "7d1c1a3e-0000-4000-8000-000000000002",
      "job-name": "j",
    };
    const job = (spec: JsonObject): KubeObject => ({
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "j", namespace: "default" },
      spec,
    });
    const podSpec = { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] };

    it("drops the generated selector and template labels, keeps the user's labels", () => {
      const out = desiredForMember(
        job({
          selector: {
            matchLabels: { "batch.kubernetes.io/controller-uid": generated["batch.kubernetes.io/controller-uid"] },
          },
          template: { metadata: { labels: { ...generated, app: "a" } }, spec: podSpec },
          backoffLimit: 2,
        }),
        fed,
      );
      expect(out.spec).toEqual({ template: { metadata: { labels: { app: "a" } }, spec: podSpec }, backoffLimit: 2 });
    });

    it("drops template labels that end up empty", () => {
      const out = desiredForMember(job({ template: { metadata: { labels: generated }, spec: podSpec } }), fed);
      expect(out.spec).toEqual({ template: { metadata: {}, spec: podSpec } });
    });

    it("keeps everything with manualSelector: true", () => {
      const spec = {
        manualSelector: true,
        selector: { matchLabels: { "controller-uid": "mine" } },
        template: { metadata: { labels: { "controller-uid": "mine", "job-name": "j" } }, spec: podSpec },
      };
      expect(desiredForMember(job(spec), fed).spec).toEqual(spec);
    });

    it("drops the generated parts with manualSelector: false", () => {
      const out = desiredForMember(
        job({
          manualSelector: false,
          selector: { matchLabels: generated },
          template: { metadata: { labels: generated }, spec: podSpec },
        }),
        fed,
      );
      expect(out.spec).toEqual({ manualSelector: false, template: { metadata: {}, spec: podSpec } });
    });

    it("copes with a template without metadata", () => {
      expect(desiredForMember(job({ template: { spec: podSpec } }), fed).spec).toEqual({ template: { spec: podSpec } });
    });
  });

  describe("Namespace", () => {
    it("drops spec.finalizers (and the then empty spec)", () => {
      const ns: KubeObject = {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: "n", ...serverMetadata },
        spec: { finalizers: ["kubernetes"] },
        status: { phase: "Active" },
      };
      expect(desiredForMember(ns, fed)).toEqual({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: "n", labels: { [OWNED_BY_LABEL]: "fed1" } },
      });
    });

    it("keeps other spec fields", () => {
      const ns: KubeObject = {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: "n" },
        spec: { finalizers: ["kubernetes"], other: 1 },
      };
      expect(desiredForMember(ns, fed).spec).toEqual({ other: 1 });
    });
  });
});

describe("canonicalJson", () => {
  it("sorts keys at every level, keeps array order", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: null }], c: "x" } })).toBe(
      '{"a":{"c":"x","d":[3,{"y":null,"z":1}]},"b":1}',
    );
  });
  it("escapes keys and strings as JSON does", () => {
    expect(canonicalJson({ 'k"\n': "é\u0000" })).toBe(JSON.stringify({ 'k"\n': "é\u0000" }));
  });
});

describe("sha256Hex", () => {
  it.each([
    ["", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
    ["abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
  ])("FIPS 180-4 vector %j", (text, hex) => {
    expect(sha256Hex(text)).toBe(hex);
  });

  it("agrees with node:crypto at every padding boundary and for multi-byte text", () => {
    for (let n = 0; n < 200; n++) {
      const text = "aé😀".repeat(n).slice(0, n);
      expect(sha256Hex(text)).toBe(createHash("sha256").update(text, "utf8").digest("hex"));
    }
  });
});

describe("withDesiredHash", () => {
  const desired = (): KubeObject => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "c", labels: { [OWNED_BY_LABEL]: "fed1" } },
    data: { a: "1", b: "2" },
  });

  it("annotates the 16-hex-char sha256 of the canonical JSON, without mutating the input", () => {
    const d = desired();
    const out = withDesiredHash(d);
    const hash = createHash("sha256").update(canonicalJson(d)).digest("hex").slice(0, 16);
    expect(out).toEqual({
      ...d,
      metadata: { ...(d.metadata as JsonObject), annotations: { [DESIRED_HASH_ANNOTATION]: hash } },
    });
    expect(d).toEqual(desired());
    expect(desiredHash(d)).toBe(hash);
    expect(hash).toMatch(/^[0-9a-f]{16}$/);
  });

  it("does not depend on key order", () => {
    const a = withDesiredHash({
      kind: "ConfigMap",
      apiVersion: "v1",
      data: { b: "2", a: "1" },
      metadata: { name: "c" },
    });
    const b = withDesiredHash({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "c" },
      data: { a: "1", b: "2" },
    });
    expect(a).toEqual(b);
  });

  it("is idempotent: the hash ignores a hash already there", () => {
    const once = withDesiredHash(desired());
    expect(withDesiredHash(once)).toEqual(once);
    const withOther = { ...desired(), metadata: { name: "c", annotations: { note: "x" } } };
    expect(withDesiredHash(withDesiredHash(withOther))).toEqual(withDesiredHash(withOther));
  });

  it("changes when a field is removed or changed", () => {
    const hash = (o: KubeObject) => desiredHash(o);
    const base = hash(desired());
    expect(hash({ ...desired(), data: { a: "1" } })).not.toBe(base);
    expect(hash({ ...desired(), data: { a: "1", b: "3" } })).not.toBe(base);
    expect(hash({ ...desired(), data: { a: "1", b: 2 } })).not.toBe(base);
  });
});
