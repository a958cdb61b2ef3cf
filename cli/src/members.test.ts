import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ApiException, KubeConfig } from "@kubernetes/client-node";
import { REGION_LABEL, ZONE_LABEL } from "@kubefed/names";
import {
  FEDERATED_TYPES,
  caOf,
  contextsForServer,
  forContext,
  formatCounts,
  memberClusterRoleRules,
  oneLine,
  parseLabels,
  sameServer,
  topologyFromNodes,
} from "./members.ts";

/** A kubeconfig with a federation and two members, one of them reached by two users. */
function testKubeConfig(extra: { caFile?: string } = {}): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      { name: "federation", server: "https://127.0.0.1:6443", caData: Buffer.from("FED CA").toString("base64") },
      { name: "east", server: "https://10.0.0.1:443", ...(extra.caFile ? { caFile: extra.caFile } : {}) },
      { name: "west", server: "https://10.0.0.2", skipTLSVerify: true },
    ],
    users: [{ name: "admin" }, { name: "viewer" }],
    contexts: [
      { name: "federation", cluster: "federation", user: "admin" },
      { name: "east", cluster: "east", user: "admin" },
      { name: "west", cluster: "west", user: "admin" },
      { name: "west-viewer", cluster: "west", user: "viewer" },
      { name: "dangling", cluster: "nowhere", user: "admin" },
    ],
    currentContext: "federation",
  });
  return kc;
}

describe("--labels", () => {
  it("parses k=v pairs, empty values included", () => {
    expect(parseLabels("env=prod, tier=gold,example.com/team=")).toEqual({
      env: "prod",
      tier: "gold",
      "example.com/team": "",
    });
    expect(parseLabels(undefined)).toEqual({});
    expect(parseLabels("")).toEqual({});
  });

  it.each([
    ["env", 'expected key=value, got "env"'],
    ["=prod", 'expected key=value, got "=prod"'],
    ["env=prod,,", 'expected key=value, got ""'],
    ["env=a,env=b", 'label "env" is given twice'],
    ["env=a=b", '"a=b": a valid label must be an empty string'],
    ["Bad Key=x", '"Bad Key": name part must consist of alphanumeric characters'],
    [`k=${"v".repeat(64)}`, "must be no more than 63 characters"],
  ])("refuses %j", (text, message) => {
    expect(() => parseLabels(text)).toThrow(message);
  });
});

describe("the member ClusterRole", () => {
  const rules = memberClusterRoleRules();

  it("grants no wildcard, and only reads nodes and endpointslices", () => {
    for (const r of rules) for (const x of [...r.apiGroups!, ...r.resources!, ...r.verbs]) expect(x).not.toBe("*");
    expect(rules).toContainEqual({ apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"] });
    expect(rules).toContainEqual({
      apiGroups: ["discovery.k8s.io"],
      resources: ["endpointslices"],
      verbs: ["get", "list", "watch"],
    });
    expect(rules.flatMap((r) => r.resources)).not.toContain("pods");
  });

  it("covers every federated type with the verbs the propagator uses", () => {
    for (const ft of FEDERATED_TYPES) {
      const rule = rules.find((r) => r.apiGroups!.includes(ft.group) && r.resources!.includes(ft.plural));
      expect(rule?.verbs, `${ft.plural}.${ft.group}`).toEqual([
        "get",
        "list",
        "watch",
        "create",
        "update",
        "patch",
        "delete",
      ]);
    }
  });

  it("lists namespaces last, so cleanup empties them first", () => {
    expect(FEDERATED_TYPES.at(-1)?.kind).toBe("Namespace");
  });
});

describe("topology from nodes", () => {
  const node = (labels: Record<string, string>) => ({ metadata: { labels } });
  it("takes region and zone when all labelled nodes agree, nothing otherwise", () => {
    expect(topologyFromNodes([])).toEqual({});
    expect(
      topologyFromNodes([
        node({ [REGION_LABEL]: "eu", [ZONE_LABEL]: "eu-a" }),
        node({ [REGION_LABEL]: "eu", [ZONE_LABEL]: "eu-a" }),
        node({}),
      ]),
    ).toEqual({ region: "eu", zone: "eu-a" });
    expect(
      topologyFromNodes([
        node({ [REGION_LABEL]: "eu", [ZONE_LABEL]: "eu-a" }),
        node({ [REGION_LABEL]: "eu", [ZONE_LABEL]: "eu-b" }),
      ]),
    ).toEqual({ region: "eu" });
  });
});

describe("kubeconfig contexts", () => {
  it("copies the kubeconfig set to a context, or says which flag named a missing one", () => {
    const kc = testKubeConfig();
    expect(forContext(kc, "east", "--cluster-context").getCurrentCluster()?.server).toBe("https://10.0.0.1:443");
    expect(kc.getCurrentContext()).toBe("federation");
    expect(() => forContext(kc, "nope", "--cluster-context")).toThrow(
      '--cluster-context: context "nope" does not exist in the kubeconfig',
    );
    expect(() => forContext(kc, "dangling", "--host-cluster-context")).toThrow(
      'refers to cluster "nowhere", which is not in the kubeconfig',
    );
  });

  it("matches servers by scheme, host and port", () => {
    expect(sameServer("https://10.0.0.1:443/", "10.0.0.1")).toBe(true);
    expect(sameServer("https://10.0.0.1:6443", "10.0.0.1:6443")).toBe(true);
    expect(sameServer("https://10.0.0.1:6443", "https://10.0.0.1:6444")).toBe(false);
    expect(sameServer("::::", "::::")).toBe(false);
    expect(contextsForServer(testKubeConfig(), "10.0.0.2:443")).toEqual(["west", "west-viewer"]);
  });

  it("reads the member CA from data or file, none when TLS is not verified", () => {
    const dir = mkdtempSync(join(tmpdir(), "kubefed-members-"));
    writeFileSync(join(dir, "ca.crt"), "EAST CA");
    const kc = testKubeConfig({ caFile: join(dir, "ca.crt") });
    expect(caOf(forContext(kc, "federation", "x"))).toBe("FED CA");
    expect(caOf(forContext(kc, "east", "x"))).toBe("EAST CA");
    expect(caOf(forContext(kc, "west", "x"))).toBeUndefined();
    expect(() => caOf(forContext(testKubeConfig({ caFile: join(dir, "missing.crt") }), "east", "x"))).toThrow(
      'cannot read the certificate authority of cluster "east"',
    );
  });
});

describe("errors", () => {
  it("are one line", () => {
    const status = JSON.stringify({ kind: "Status", message: 'clusters.federation "a" already exists', code: 409 });
    expect(oneLine(new ApiException(409, "Conflict", status, {}))).toBe('clusters.federation "a" already exists');
    expect(oneLine(new ApiException(401, "Unauthorized", undefined, {}))).toBe(
      "Unauthorized (401): the credentials were refused",
    );
    expect(
      oneLine(new Error("request to https://127.0.0.1:1/version failed, reason: connect ECONNREFUSED 127.0.0.1:1")),
    ).toBe("connect ECONNREFUSED 127.0.0.1:1");
    expect(oneLine(new Error("a\n  b"))).toBe("a b");
  });

  it("counts per kind", () => {
    const [cm, secret] = FEDERATED_TYPES;
    expect(
      formatCounts(
        new Map([
          [cm!, 2],
          [secret!, 1],
        ]),
      ),
    ).toBe("2 configmaps, 1 secret");
    expect(formatCounts(new Map([[cm!, 0]]))).toBe("nothing");
  });
});
