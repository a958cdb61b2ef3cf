import { describe, expect, it } from "vitest";
import { KubeConfig } from "@kubernetes/client-node";
import { REGION_LABEL, ZONE_LABEL } from "@kubefed/names";
import { clusterObject, describeRight, planJoin, requiredRights, type JoinOptions } from "./join.ts";

const kc = new KubeConfig();
kc.loadFromOptions({
  clusters: [
    { name: "federation", server: "https://127.0.0.1:6443" },
    { name: "east", server: "https://10.0.0.1:443" },
  ],
  users: [{ name: "admin" }],
  contexts: [
    { name: "federation", cluster: "federation", user: "admin" },
    { name: "east", cluster: "east", user: "admin" },
  ],
  currentContext: "federation",
});
const base: JoinOptions = {
  name: "east",
  hostClusterContext: "federation",
  clusterContext: "east",
  federationName: "myfed",
};

describe("kubefed join input", () => {
  it("turns region, zone and --labels into the Cluster's labels", () => {
    const plan = planJoin({ ...base, region: "us-east1", zone: "us-east1-b", labels: "env=prod" }, kc);
    expect(plan.labels).toEqual({ env: "prod", [REGION_LABEL]: "us-east1", [ZONE_LABEL]: "us-east1-b" });
    expect(plan.member.getCurrentCluster()?.server).toBe("https://10.0.0.1:443");
    expect(plan.fed.getCurrentCluster()?.server).toBe("https://127.0.0.1:6443");
    expect(planJoin({ ...base, labels: `${REGION_LABEL}=eu,env=dev` }, kc).labels).toEqual({
      [REGION_LABEL]: "eu",
      env: "dev",
    });
  });

  it.each<[string, Partial<JoinOptions>, string]>([
    ["an invalid name", { name: "East_1" }, 'invalid cluster name "East_1": a lowercase RFC 1123 label'],
    ["a name too long", { name: "a".repeat(64) }, "must be no more than 63 characters"],
    ["an invalid federation name", { federationName: "My.Fed" }, 'invalid --federation-name "My.Fed"'],
    ["malformed labels", { labels: "env" }, '--labels: expected key=value, got "env"'],
    ["an invalid region", { region: "US East" }, '--region "US East": a lowercase RFC 1123 label'],
    [
      "a region contradicting --labels",
      { region: "eu", labels: `${REGION_LABEL}=us` },
      `--region eu contradicts --labels ${REGION_LABEL}=us`,
    ],
    ["a zone without a region", { zone: "eu-a" }, "--zone needs --region"],
    [
      "an unknown member context",
      { clusterContext: "nope" },
      '--cluster-context: context "nope" does not exist in the kubeconfig',
    ],
    [
      "an unknown federation context",
      { hostClusterContext: "nope" },
      '--host-cluster-context: context "nope" does not exist in the kubeconfig',
    ],
    ["the federation as member", { clusterContext: "federation" }, "the member must be another cluster"],
  ])("refuses %s", (_what, change, message) => {
    expect(() => planJoin({ ...base, ...change }, kc)).toThrow(message);
  });
});

describe("what kubefed join writes", () => {
  it("a Cluster reached at the member's server from everywhere, with its credentials Secret", () => {
    expect(clusterObject("east", "https://10.0.0.1:443", { env: "prod" })).toEqual({
      apiVersion: "federation/v1beta1",
      kind: "Cluster",
      metadata: { name: "east", labels: { env: "prod" } },
      spec: {
        serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: "https://10.0.0.1:443" }],
        secretRef: { name: "east-credentials" },
      },
    });
    expect(clusterObject("east", "https://h", {}).metadata).toEqual({ name: "east" });
  });

  it("checks the rights to create the service account, its token and the RBAC objects", () => {
    expect(requiredRights("myfed").map(describeRight)).toEqual([
      "create namespaces",
      "create serviceaccounts in kubefed-system",
      "create serviceaccounts/token in kubefed-system",
      "create clusterroles.rbac.authorization.k8s.io",
      "patch clusterroles.rbac.authorization.k8s.io",
      "create clusterrolebindings.rbac.authorization.k8s.io",
      "patch clusterrolebindings.rbac.authorization.k8s.io",
    ]);
  });
});
