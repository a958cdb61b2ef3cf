// Whether a member's 422 Invalid answer says "this field cannot be updated", which the propagator answers by
// deleting and recreating the object. The phrasings are Kubernetes v1.36's (pkg/apis/*/validation,
// apimachinery ValidateImmutableField); the tests hold real answers of a v1.36 kube-apiserver.

/**
 * Each phrase, with where Kubernetes says it:
 * - "field is immutable": ValidateImmutableField (Deployment/ReplicaSet/DaemonSet/Job spec.selector, Job
 *   spec.template and spec.completions, Secret type, StorageClass, ...), and its Forbidden variants ("field is
 *   immutable when `immutable` is set" of ConfigMap/Secret, "... for unsuspended job once set" of Job);
 * - "may not change once set": Service spec.clusterIPs, spec.ipFamilies, spec.loadBalancerClass;
 * - "is immutable after creation": PersistentVolumeClaim spec, PersistentVolume source;
 * - "updates to statefulset spec for fields other than": StatefulSet;
 * - "pod updates may not change fields other than": Pod spec;
 * - "cannot change roleRef": RoleBinding and ClusterRoleBinding;
 * - "may not be changed in an update": PriorityClass value;
 * - "is immutable" / "are immutable" otherwise: the usual wording of CRD validation rules (`self == oldSelf`,
 *   message "Value is immutable").
 */
const IMMUTABLE_PHRASES: readonly RegExp[] = [
  /field is immutable/,
  /may not change once set/,
  /is immutable after creation/,
  /updates to statefulset spec for fields other than/,
  /pod updates may not change fields other than/,
  /cannot change roleRef/,
  /may not be changed in an update/,
  /\b(?:is|are) immutable\b/i,
];

export interface InvalidStatus {
  message?: string;
  details?: { causes?: { message?: string; field?: string }[] };
}

/** True when a member's 422 Invalid answer is about an immutable field (message or any cause's message). */
export function isImmutableFieldError(status: InvalidStatus): boolean {
  const texts = [status.message, ...(status.details?.causes ?? []).map((c) => c.message)];
  return texts.some((t) => t !== undefined && IMMUTABLE_PHRASES.some((re) => re.test(t)));
}
