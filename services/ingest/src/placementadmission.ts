/**
 * The placement checks and the admission step of a write, after validation: per-cluster overrides checked against
 * the federation's clusters and the object (an unknown cluster or a patch that does not apply is a 422), then the
 * SchedulingPolicy step when it is on (schedulingpolicy.ts).
 */
import { OVERRIDES_ANNOTATION, overridesProblems } from "@kubefed/placement";
import { objectsOfKind, type FederationState } from "@kubefed/state";
import type { KubeObject } from "@kubefed/events";
import type { Obj } from "./admit.ts";
import { FEDERATION_GROUP, type ResourceType } from "./resources.ts";
import type { SchedulingPolicy } from "./schedulingpolicy.ts";
import { ApiError, Reason, messages } from "./status.ts";

export interface PlacementAdmissionDeps {
  state(): FederationState;
  /** The SchedulingPolicy step; absent when the ingest was started without it. */
  readonly policy?: Pick<SchedulingPolicy, "admit">;
}

export class PlacementAdmission {
  constructor(private readonly d: PlacementAdmissionDeps) {}

  /** The object to append (the policy's annotations merged in), or the Status refusing it. */
  async admit(rt: ResourceType, obj: Obj): Promise<Obj> {
    const clusters = objectsOfKind(this.d.state(), `${FEDERATION_GROUP}/Cluster`).map(([, c]) =>
      String((c.metadata as { name?: string }).name),
    );
    const problems = overridesProblems(obj as KubeObject, clusters);
    if (problems.length > 0) {
      const field = `metadata.annotations[${OVERRIDES_ANNOTATION}]`;
      const causes = problems.map((p) => ({ reason: "FieldValueInvalid", field, message: `Invalid value: ${p}` }));
      const name = String((obj.metadata as { name?: string } | undefined)?.name ?? "");
      throw new ApiError(Reason.Invalid, messages.invalid(rt.kind, name, causes), {
        name,
        group: rt.group,
        kind: rt.kind,
        causes,
      });
    }
    return this.d.policy ? this.d.policy.admit(rt, obj) : obj;
  }
}
