/**
 * The self reviews kubectl asks the API about its caller: SelfSubjectAccessReview (`kubectl auth can-i`),
 * SelfSubjectRulesReview (`can-i --list`) and SelfSubjectReview (`kubectl auth whoami`). Each is answered at once
 * from the authenticated (or impersonated) user and the RBAC index; nothing is stored.
 */
import type { PolicyRule, RbacIndex, UserInfo } from "@kubefed/rbac";
import type { Obj } from "./admit.ts";
import { ApiError, Reason } from "./status.ts";

const obj = (x: unknown): Obj => (typeof x === "object" && x !== null && !Array.isArray(x) ? (x as Obj) : {});
const str = (x: unknown): string => (typeof x === "string" ? x : "");

function invalid(kind: string, field: string, message: string): ApiError {
  return new ApiError(Reason.Invalid, `${kind}.authorization.k8s.io "" is invalid: ${field}: ${message}`, {
    group: "authorization.k8s.io",
    kind,
    causes: [{ reason: "FieldValueRequired", field, message }],
  });
}

/** The answer to a SelfSubjectAccessReview: the request echoed with `status.allowed` (and why not, if known). */
export function accessReview(index: RbacIndex, user: UserInfo, body: unknown): Obj {
  const review = obj(body);
  const spec = obj(review.spec);
  const ra = spec.resourceAttributes === undefined ? undefined : obj(spec.resourceAttributes);
  const nra = spec.nonResourceAttributes === undefined ? undefined : obj(spec.nonResourceAttributes);
  if ((ra === undefined) === (nra === undefined))
    throw invalid(
      "SelfSubjectAccessReview",
      "spec.resourceAttributes",
      "Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified",
    );
  const decision = ra
    ? index.authorize(user, {
        verb: str(ra.verb),
        resourceRequest: true,
        apiGroup: str(ra.group),
        resource: str(ra.resource),
        subresource: str(ra.subresource),
        name: str(ra.name),
        namespace: str(ra.namespace),
      })
    : index.authorize(user, { verb: str(nra!.verb), resourceRequest: false, path: str(nra!.path) });
  return {
    kind: "SelfSubjectAccessReview",
    apiVersion: "authorization.k8s.io/v1",
    metadata: { ...obj(review.metadata), creationTimestamp: null },
    spec,
    status: { allowed: decision.allowed, ...(decision.reason ? { reason: decision.reason } : {}) },
  };
}

const listOf = (xs: readonly string[] | undefined) => (xs && xs.length > 0 ? [...xs] : undefined);

/** The answer to a SelfSubjectRulesReview: every rule the user holds in the namespace, cluster-wide ones included. */
export function rulesReview(index: RbacIndex, user: UserInfo, body: unknown): Obj {
  const review = obj(body);
  const spec = obj(review.spec);
  const namespace = str(spec.namespace);
  if (namespace === "")
    throw new ApiError(
      Reason.BadRequest,
      "no namespace on request", // kube-apiserver's words for a SelfSubjectRulesReview without spec.namespace
    );
  const { rules, errors } = index.rulesFor(user, namespace);
  const resourceRules: Obj[] = [];
  const nonResourceRules: Obj[] = [];
  for (const r of rules as PolicyRule[]) {
    if ((r.nonResourceURLs ?? []).length > 0)
      nonResourceRules.push({ verbs: [...r.verbs], nonResourceURLs: [...r.nonResourceURLs!] });
    if ((r.resources ?? []).length > 0 || (r.apiGroups ?? []).length > 0) {
      const names = listOf(r.resourceNames);
      resourceRules.push({
        verbs: [...r.verbs],
        ...(listOf(r.apiGroups) ? { apiGroups: [...r.apiGroups!] } : {}),
        ...(listOf(r.resources) ? { resources: [...r.resources!] } : {}),
        ...(names ? { resourceNames: names } : {}),
      });
    }
  }
  return {
    kind: "SelfSubjectRulesReview",
    apiVersion: "authorization.k8s.io/v1",
    metadata: { ...obj(review.metadata), creationTimestamp: null },
    spec,
    status: {
      resourceRules,
      nonResourceRules,
      incomplete: false,
      ...(errors.length > 0 ? { evaluationError: errors.join(", ") } : {}),
    },
  };
}

/** The answer to a SelfSubjectReview: who the API takes the caller for. */
export function selfReview(user: UserInfo): Obj {
  return {
    kind: "SelfSubjectReview",
    apiVersion: "authentication.k8s.io/v1",
    metadata: { creationTimestamp: null },
    status: {
      userInfo: {
        username: user.user,
        ...(user.uid ? { uid: user.uid } : {}),
        groups: [...user.groups],
        ...(user.extra && Object.keys(user.extra).length > 0 ? { extra: user.extra } : {}),
      },
    },
  };
}
