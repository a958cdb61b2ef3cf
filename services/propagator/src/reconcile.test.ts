import { describe, expect, it } from "vitest";
import type { JsonObject, KubeObject } from "@kubefed/events";
import { observedStatus } from "./reconcile.ts";

describe("the member status reconcile reports", () => {
  const deployment = (generation: number, status?: JsonObject): KubeObject => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", generation },
    ...(status ? { status } : {}),
  });

  it("is the member's status, none when it is empty", () => {
    expect(observedStatus(deployment(2, { observedGeneration: 2, readyReplicas: 3 }))).toEqual({
      observedGeneration: 2,
      readyReplicas: 3,
    });
    expect(observedStatus(deployment(1, {}))).toBeNull();
    expect(observedStatus(undefined)).toBeNull();
  });

  it("leaves out an observedGeneration behind the member object's generation: its counters are the old spec's", () => {
    expect(observedStatus(deployment(3, { observedGeneration: 2, readyReplicas: 3 }))).toEqual({ readyReplicas: 3 });
  });
});
