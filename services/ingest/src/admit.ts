/**
 * Validation at the edge: names, labels, annotations (with the federation's placement annotation) and the
 * object against the real Kubernetes schema of its kind. Handlers only ever see objects that passed here.
 */
import {
  CLUSTER_SELECTOR_ANNOTATION,
  isDNS1123Label,
  isDNS1123Subdomain,
  validateAnnotations,
  validateLabels,
} from "@kubefed/names";
import { clusterSelectorProblems, preferencesAnnotation, preferencesProblems } from "@kubefed/placement";
import { ApiError, Reason, messages, type StatusCause } from "./status.ts";
import type { ResourceType } from "./resources.ts";
import { validateObject } from "./validate.ts";

export type Obj = Record<string, unknown>;

/** Every problem with the object, as Kubernetes field causes; unknown fields come separately. */
export function admit(rt: ResourceType, obj: Obj): { causes: StatusCause[]; unknown: StatusCause[] } {
  const meta = (obj.metadata ?? {}) as Obj;
  const causes: StatusCause[] = [];
  const name = typeof meta.name === "string" ? meta.name : "";
  const nameRule = rt.resource === "namespaces" || rt.resource === "services" ? isDNS1123Label : isDNS1123Subdomain;
  for (const m of nameRule(name))
    causes.push({
      reason: "FieldValueInvalid",
      field: "metadata.name",
      message: `Invalid value: ${JSON.stringify(name)}: ${m}`,
    });
  if (meta.labels !== undefined) {
    for (const e of validateLabels(meta.labels as Record<string, string>))
      causes.push({ reason: "FieldValueInvalid", field: e.field, message: `Invalid value: ${e.message}` });
  }
  const annotations = (meta.annotations ?? {}) as Record<string, string>;
  for (const e of validateAnnotations(annotations))
    causes.push({ reason: "FieldValueInvalid", field: e.field, message: `Invalid value: ${e.message}` });
  const selector = annotations[CLUSTER_SELECTOR_ANNOTATION];
  if (selector !== undefined) {
    for (const p of clusterSelectorProblems(selector)) {
      causes.push({
        reason: "FieldValueInvalid",
        field: `metadata.annotations[${CLUSTER_SELECTOR_ANNOTATION}]`,
        message: `Invalid value: ${p}`,
      });
    }
  }
  const preferences = preferencesAnnotation(rt.group, rt.kind);
  if (preferences !== undefined && annotations[preferences] !== undefined) {
    for (const p of preferencesProblems(String(annotations[preferences])))
      causes.push({
        reason: "FieldValueInvalid",
        field: `metadata.annotations[${preferences}]`,
        message: `Invalid value: ${p}`,
      });
  }
  const unknown: StatusCause[] = [];
  for (const c of validateObject(obj)) {
    if (c.reason === "FieldValueUnknown") unknown.push(c);
    else causes.push(c);
  }
  return { causes, unknown };
}

/**
 * Throws the Kubernetes answer for an invalid object: 422 Invalid with causes, or 400 for unknown fields
 * under fieldValidation=Strict. Returns warnings for fieldValidation=Warn.
 */
export function admitOrThrow(rt: ResourceType, obj: Obj, fieldValidation: string): string[] {
  const { causes, unknown } = admit(rt, obj);
  const name = String(((obj.metadata ?? {}) as Obj).name ?? "");
  if (causes.length > 0) {
    throw new ApiError(Reason.Invalid, messages.invalid(rt.kind, name, causes), {
      name,
      group: rt.group,
      kind: rt.kind,
      causes,
    });
  }
  if (unknown.length > 0 && fieldValidation === "Strict") {
    throw new ApiError(
      Reason.BadRequest,
      `strict decoding error: ${unknown.map((u) => `unknown field "${u.field}"`).join(", ")}`,
    );
  }
  return fieldValidation === "Warn" ? unknown.map((u) => `unknown field "${u.field}"`) : [];
}
