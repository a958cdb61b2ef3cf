import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { JsonObject, KubeObject } from "@kubefed/events";
import { DESIRED_HASH_ANNOTATION, desiredForMember, isConverged, withDesiredHash } from "./index.ts";

// Recorded against a v1.36.3 kube-apiserver: each federated object, the desired object this library made of it
// (server-side applied as is), and what the member returned on GET right after, with its defaults and metadata.
const recorded = JSON.parse(readFileSync(new URL("./testdata/member-readbacks.json", import.meta.url), "utf8")) as {
  federated: KubeObject;
  desired: KubeObject;
  actual: KubeObject;
}[];
const name = (o: KubeObject) => `${o.kind}/${(o.metadata as JsonObject).name}`;

describe.each(recorded.map((r) => ({ ...r, name: name(r.federated) })))(
  "member readback of $name",
  ({ federated, desired, actual }) => {
    it("is still what desiredForMember + withDesiredHash make", () => {
      expect(withDesiredHash(desiredForMember(federated, { federation: "fed1" }))).toEqual(desired);
    });

    it("is converged with the desired object", () => {
      expect(isConverged(desired, actual)).toBe(true);
    });

    it("is not converged with a different desired hash", () => {
      const other = structuredClone(desired);
      ((other.metadata as JsonObject).annotations as JsonObject)[DESIRED_HASH_ANNOTATION] = "0000000000000000";
      expect(isConverged(other, actual)).toBe(false);
    });

    it("copied back from the member, gives a desired object the member has converged to", () => {
      // e.g. a user who `kubectl get -o yaml`s the member object into the federation.
      expect(isConverged(desiredForMember(actual, { federation: "fed1" }), actual)).toBe(true);
    });
  },
);
