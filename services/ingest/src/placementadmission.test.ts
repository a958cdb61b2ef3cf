import { describe, expect, it } from "vitest";
import { evolve, initialState, type FederationState } from "@kubefed/state";
import { OVERRIDES_ANNOTATION } from "@kubefed/placement";
import { PlacementAdmission } from "./placementadmission.ts";
import { findKind } from "./resources.ts";
import { ApiError } from "./status.ts";

const withCluster = (name: string): FederationState =>
  evolve(
    initialState(),
    {
      type: "ObjectCreated",
      data: {
        ref: { group: "federation", version: "v1beta1", kind: "Cluster", namespace: null, name },
        precondition: { type: "MustNotExist" },
        object: { apiVersion: "federation/v1beta1", kind: "Cluster", metadata: { name }, spec: {} },
      },
      metadata: { eventId: "e", time: "2026-01-01T00:00:00Z", actor: { user: "u", groups: [] }, requestId: "r" },
    },
    { offset: "0" },
  );

const deployments = findKind("apps/v1", "Deployment")!;
const deployment = (overrides: unknown) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "ns", annotations: { [OVERRIDES_ANNOTATION]: JSON.stringify(overrides) } },
  spec: { template: { spec: { containers: [{ name: "c", image: "nginx" }] } } },
});

describe("PlacementAdmission", () => {
  const admission = new PlacementAdmission({ state: () => withCluster("east") });

  it("admits an override of a known cluster that applies, unchanged without a policy", async () => {
    const o = deployment({ east: [{ op: "replace", path: "/spec/template/spec/containers/0/image", value: "x" }] });
    expect(await admission.admit(deployments, o)).toBe(o);
  });

  it("refuses an unknown cluster and a patch that does not apply with 422 causes on the annotation", async () => {
    const err = await admission
      .admit(deployments, deployment({ west: [{ op: "remove", path: "/spec/nothing" }] }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(422);
    expect((err as ApiError).details?.causes?.map((c) => c.message)).toEqual([
      "Invalid value: west: no such cluster in the federation",
      expect.stringContaining("west: the patch does not apply"),
    ]);
  });
});
