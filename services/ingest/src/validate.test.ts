import { describe, expect, it } from "vitest";
import { hasSchema, validateObject, type Cause } from "./validate.ts";
import { RESOURCES, groupVersion } from "./resources.ts";

const meta = (name: string, namespace?: string) => ({
  name,
  ...(namespace ? { namespace } : {}),
  labels: { app: name },
});
const podTemplate = {
  metadata: { labels: { app: "web" } },
  spec: {
    containers: [
      {
        name: "web",
        image: "nginx:1.27",
        imagePullPolicy: "IfNotPresent",
        ports: [{ containerPort: 80, name: "http" }],
        resources: { limits: { cpu: "500m", memory: "128Mi" }, requests: { cpu: 0.1 } },
        env: [{ name: "MODE", value: "prod" }],
        readinessProbe: { httpGet: { path: "/", port: "http" }, periodSeconds: 5 },
      },
    ],
    restartPolicy: "Always",
  },
};

const VALID: Record<string, object> = {
  Namespace: { apiVersion: "v1", kind: "Namespace", metadata: meta("team-a") },
  ConfigMap: {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { ...meta("cfg", "default"), creationTimestamp: null },
    data: { "app.properties": "a=b" },
  },
  Secret: {
    apiVersion: "v1",
    kind: "Secret",
    metadata: meta("s", "default"),
    type: "Opaque",
    data: { password: "cGFzcw==" },
    stringData: { user: "u" },
  },
  Service: {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta("web", "default"),
    spec: {
      type: "ClusterIP",
      selector: { app: "web" },
      ports: [
        { name: "http", port: 80, targetPort: "http" },
        { port: 443, targetPort: 8443, protocol: "TCP" },
      ],
    },
  },
  Event: {
    apiVersion: "v1",
    kind: "Event",
    metadata: meta("web.1", "default"),
    involvedObject: { kind: "Deployment", name: "web", namespace: "default" },
    reason: "Propagated",
    message: "sent to 2 clusters",
    type: "Normal",
    firstTimestamp: "2026-01-02T03:04:05Z",
    count: 1,
  },
  Deployment: {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: meta("web", "default"),
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: "web" } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } },
      template: podTemplate,
    },
  },
  ReplicaSet: {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: meta("web-1", "default"),
    spec: { replicas: 1, selector: { matchLabels: { app: "web" } }, template: podTemplate },
  },
  DaemonSet: {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: meta("agent", "default"),
    spec: { selector: { matchLabels: { app: "web" } }, template: podTemplate },
  },
  Job: {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: meta("once", "default"),
    spec: {
      backoffLimit: 2,
      template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox", command: ["true"] }] } },
    },
  },
  Ingress: {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: meta("web", "default"),
    spec: {
      ingressClassName: "nginx",
      rules: [
        {
          host: "example.test",
          http: {
            paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { number: 80 } } } }],
          },
        },
      ],
      tls: [{ hosts: ["example.test"], secretName: "tls" }],
    },
  },
  HorizontalPodAutoscaler: {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: meta("web", "default"),
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
      minReplicas: 1,
      maxReplicas: 5,
      metrics: [
        { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 80 } } },
      ],
    },
  },
  Role: {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: meta("reader"),
    rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get"], resourceNames: ["a"] }],
  },
  ClusterRole: {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name: "reader" },
    rules: [{ nonResourceURLs: ["/metrics"], verbs: ["get"] }],
  },
  RoleBinding: {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: meta("reader"),
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "reader" },
    subjects: [{ kind: "ServiceAccount", name: "robot", namespace: "team-a" }],
  },
  ClusterRoleBinding: {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: "reader" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "reader" },
    subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "devs" }],
  },
  SelfSubjectAccessReview: {
    apiVersion: "authorization.k8s.io/v1",
    kind: "SelfSubjectAccessReview",
    metadata: {},
    spec: { resourceAttributes: { verb: "get", resource: "configmaps", namespace: "team-a" } },
  },
  SelfSubjectRulesReview: {
    apiVersion: "authorization.k8s.io/v1",
    kind: "SelfSubjectRulesReview",
    metadata: {},
    spec: { namespace: "team-a" },
  },
  SelfSubjectReview: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview", metadata: {} },
  Cluster: {
    apiVersion: "federation/v1beta1",
    kind: "Cluster",
    metadata: { name: "member1" },
    spec: {
      serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: "https://10.0.0.1:6443" }],
      secretRef: { name: "member1" },
      caBundle: "LS0tLS1CRUdJTg==",
    },
    status: {
      conditions: [{ type: "Ready", status: "True", lastProbeTime: "2026-01-02T03:04:05Z", reason: "ClusterReady" }],
      zones: ["z1"],
      region: "r1",
    },
  },
};

/** A deep copy of a valid object with `change` applied to it. */
function variant(kind: string, change: (o: any) => void): object {
  const o = structuredClone(VALID[kind]);
  change(o);
  return o!;
}
const brief = (causes: Cause[]) => causes.map((c) => `${c.reason} ${c.field}`);

describe("validateObject: valid objects", () => {
  it("covers every kind in the resource table", () => {
    expect(Object.keys(VALID).sort()).toEqual(RESOURCES.map((r) => r.kind).sort());
    for (const r of RESOURCES) expect(hasSchema(groupVersion(r), r.kind), r.kind).toBe(true);
  });

  it.each(Object.keys(VALID))("accepts a valid %s", (kind) => {
    expect(validateObject(VALID[kind])).toEqual([]);
  });

  it("accepts the Scale of the scale subresource and the kinds' lists", () => {
    expect(
      validateObject({
        apiVersion: "autoscaling/v1",
        kind: "Scale",
        metadata: meta("web", "default"),
        spec: { replicas: 2 },
      }),
    ).toEqual([]);
    expect(
      validateObject({ apiVersion: "federation/v1beta1", kind: "ClusterList", metadata: {}, items: [VALID.Cluster] }),
    ).toEqual([]);
  });

  it("treats null as unset, like the real decoder", () => {
    expect(
      validateObject(variant("Deployment", (o) => Object.assign(o.spec, { replicas: null, strategy: null }))),
    ).toEqual([]);
  });
});

describe("validateObject: wrong types", () => {
  it("reports the field with a Kubernetes path", () => {
    const causes = validateObject(variant("Deployment", (o) => (o.spec.replicas = "three")));
    expect(causes).toEqual([
      {
        reason: "FieldValueTypeInvalid",
        field: "spec.replicas",
        message: 'Invalid value: "string": spec.replicas in body must be of type integer: "string"',
      },
    ]);
  });

  it("indexes list items and names map keys", () => {
    const causes = validateObject(
      variant("Deployment", (o) => {
        o.spec.template.spec.containers[0].ports[0].containerPort = "80";
        o.metadata.labels["app.kubernetes.io/name"] = 7;
      }),
    );
    expect(brief(causes).sort()).toEqual([
      "FieldValueTypeInvalid metadata.labels[app.kubernetes.io/name]",
      "FieldValueTypeInvalid spec.template.spec.containers[0].ports[0].containerPort",
    ]);
  });

  it("accepts int-or-string and quantities in both forms but nothing else", () => {
    const causes = validateObject(variant("Service", (o) => (o.spec.ports[0].targetPort = { port: 1 })));
    expect(causes).toEqual([
      expect.objectContaining({
        reason: "FieldValueTypeInvalid",
        field: "spec.ports[0].targetPort",
        message: expect.stringContaining("integer or string"),
      }),
    ]);
    expect(
      brief(
        validateObject(variant("Deployment", (o) => (o.spec.template.spec.containers[0].resources.limits.cpu = true))),
      ),
    ).toEqual(["FieldValueTypeInvalid spec.template.spec.containers[0].resources.limits[cpu]"]);
  });

  it("checks int32 range, base64 and date-time formats", () => {
    expect(brief(validateObject(variant("Deployment", (o) => (o.spec.replicas = 2 ** 31))))).toEqual([
      "FieldValueInvalid spec.replicas",
    ]);
    expect(brief(validateObject(variant("Secret", (o) => (o.data.password = "not base64!"))))).toEqual([
      "FieldValueInvalid data[password]",
    ]);
    expect(brief(validateObject(variant("Cluster", (o) => (o.spec.caBundle = "abc"))))).toEqual([
      "FieldValueInvalid spec.caBundle",
    ]);
    expect(brief(validateObject(variant("Event", (o) => (o.firstTimestamp = "yesterday"))))).toEqual([
      "FieldValueInvalid firstTimestamp",
    ]);
  });

  it("reports values outside an enum as not supported, but lets empty strings through to defaulting", () => {
    const causes = validateObject(variant("Service", (o) => (o.spec.type = "Magic")));
    expect(causes).toEqual([
      {
        reason: "FieldValueNotSupported",
        field: "spec.type",
        message:
          'Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
      },
    ]);
    expect(
      validateObject(variant("Deployment", (o) => (o.spec.template.spec.containers[0].imagePullPolicy = ""))),
    ).toEqual([]);
    expect(brief(validateObject(variant("Cluster", (o) => (o.status.conditions[0].status = "Maybe"))))).toEqual([
      "FieldValueNotSupported status.conditions[0].status",
    ]);
  });
});

describe("validateObject: required fields", () => {
  it("reports missing required fields, also inside defaulted structs", () => {
    const causes = validateObject(
      variant("Deployment", (o) => {
        delete o.spec.selector;
        delete o.spec.template.spec.containers[0].name;
      }),
    );
    expect(causes).toEqual(
      expect.arrayContaining([
        { reason: "FieldValueRequired", field: "spec.selector", message: "Required value" },
        { reason: "FieldValueRequired", field: "spec.template.spec.containers[0].name", message: "Required value" },
      ]),
    );
    // No spec at all: the real server decodes an empty spec and finds the same holes.
    expect(brief(validateObject({ apiVersion: "apps/v1", kind: "Deployment", metadata: meta("web") })).sort()).toEqual([
      "FieldValueRequired spec.selector",
      "FieldValueRequired spec.template.spec.containers",
    ]);
  });

  it("checks the Cluster, HPA and Job required fields", () => {
    expect(
      brief(validateObject(variant("Cluster", (o) => delete o.spec.serverAddressByClientCIDRs[0].serverAddress))),
    ).toEqual(["FieldValueRequired spec.serverAddressByClientCIDRs[0].serverAddress"]);
    expect(brief(validateObject(variant("HorizontalPodAutoscaler", (o) => delete o.spec.maxReplicas)))).toEqual([
      "FieldValueRequired spec.maxReplicas",
    ]);
    expect(brief(validateObject(variant("Job", (o) => delete o.spec.template.spec.containers)))).toEqual([
      "FieldValueRequired spec.template.spec.containers",
    ]);
  });

  it("does not require status fields on objects that carry no status", () => {
    // HorizontalPodAutoscalerStatus requires desiredReplicas; status is the controllers' to write.
    expect(validateObject(VALID.HorizontalPodAutoscaler)).toEqual([]);
  });

  it("needs apiVersion and kind, and a kind it knows", () => {
    expect(brief(validateObject({ metadata: { name: "x" } }))).toEqual([
      "FieldValueRequired apiVersion",
      "FieldValueRequired kind",
    ]);
    expect(brief(validateObject({ apiVersion: "apps/v1", kind: "StatefulSet" }))).toEqual([
      "FieldValueNotSupported kind",
    ]);
    expect(brief(validateObject("nope"))).toEqual(["FieldValueTypeInvalid "]);
  });
});

describe("validateObject: unknown fields", () => {
  it("reports each unknown field with its path, for fieldValidation to act on", () => {
    const causes = validateObject(
      variant("Deployment", (o) => {
        o.spec.foo = 1;
        o.spec.template.spec.containers[0].imagePolicy = "x";
        o.extra = true;
      }),
    );
    expect(causes.filter((c) => c.reason === "FieldValueUnknown")).toEqual(
      expect.arrayContaining([
        { reason: "FieldValueUnknown", field: "spec.foo", message: 'unknown field "spec.foo"' },
        {
          reason: "FieldValueUnknown",
          field: "spec.template.spec.containers[0].imagePolicy",
          message: 'unknown field "spec.template.spec.containers[0].imagePolicy"',
        },
        { reason: "FieldValueUnknown", field: "extra", message: 'unknown field "extra"' },
      ]),
    );
    expect(causes).toHaveLength(3);
  });

  it("does not call map keys unknown", () => {
    expect(validateObject(variant("ConfigMap", (o) => (o.data["any.key"] = "v")))).toEqual([]);
    expect(brief(validateObject(variant("Cluster", (o) => (o.spec.secretRef.namespace = "x"))))).toEqual([
      "FieldValueUnknown spec.secretRef.namespace",
    ]);
  });

  it("leaves the caller's object untouched", () => {
    const o = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x" } };
    validateObject(o);
    expect(o).toEqual({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x" } });
  });
});
