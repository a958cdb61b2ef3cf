// Whether a member already has what the federation wants: desired must be a "subset" of actual, because the
// member adds defaults (containers[].terminationMessagePath, spec.clusterIP...) and its own metadata (uid,
// managedFields, other labels) that the federation neither wrote nor cares about.
import type { JsonValue, KubeObject } from "@kubefed/events";

/**
 * True when `actual` (as read from the member) has everything `desired` says:
 * - objects: every key of desired present in actual and converged (keys only actual has are ignored, so other
 *   labels, annotations and metadata of the member do not matter);
 * - arrays: same length, element by element converged (members add defaults inside elements);
 * - scalars: strictly equal. 1 and "1" differ, and so do Quantity spellings such as "1" and "1000m": the member
 *   stores the quantity as written, so a different spelling means someone else changed it.
 * - a desired null, "", 0, false or [] also matches a missing key: Kubernetes omits such zero values
 *   (`omitempty`) when it serialises, so the member can never show them. An empty object {} does NOT match a
 *   missing key: `emptyDir: {}` is meaningful and members keep it.
 * Fields the user removed are not visible to a subset check; the desired-hash annotation (`withDesiredHash`)
 * covers them, since it is an annotation that changes.
 */
export function isConverged(desired: KubeObject, actual: KubeObject): boolean {
  return converged(desired, actual);
}

function converged(desired: JsonValue, actual: JsonValue | undefined): boolean {
  if (desired === null) return actual === null || actual === undefined;
  if (Array.isArray(desired)) {
    if (actual === undefined || actual === null) return desired.length === 0;
    return (
      Array.isArray(actual) && actual.length === desired.length && desired.every((d, i) => converged(d, actual[i]))
    );
  }
  if (typeof desired === "object") {
    if (typeof actual !== "object" || actual === null || Array.isArray(actual)) return false;
    return Object.entries(desired).every(([k, d]) =>
      Object.hasOwn(actual, k) ? converged(d, actual[k]) : isOmittedZero(d),
    );
  }
  return actual === desired || (actual === undefined && isOmittedZero(desired));
}

const isOmittedZero = (v: JsonValue): boolean =>
  v === null || v === "" || v === 0 || v === false || (Array.isArray(v) && v.length === 0);
