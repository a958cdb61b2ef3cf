/**
 * Impersonation (`kubectl --as`, `--as-group`, `--as-uid`), as kube-apiserver does it: the authenticated user must
 * be allowed to `impersonate` each user, group, uid and extra value asked for, and the request then runs as the
 * impersonated user (system:authenticated added, or system:unauthenticated for system:anonymous).
 */
import type { IncomingHttpHeaders } from "node:http";
import {
  ALL_AUTHENTICATED,
  ALL_UNAUTHENTICATED,
  ANONYMOUS_USER,
  parseServiceAccountUser,
  type UserInfo,
} from "@kubefed/rbac";
import type { Authorizer } from "./authz.ts";
import { ApiError, Reason } from "./status.ts";

const values = (h: string | string[] | undefined): string[] =>
  h === undefined
    ? []
    : (Array.isArray(h) ? h : [h])
        .flatMap((v) => v.split(","))
        .map((v) => v.trim())
        .filter(Boolean);

const EXTRA_PREFIX = "impersonate-extra-";

export function impersonate(authz: Authorizer, user: UserInfo, headers: IncomingHttpHeaders): UserInfo {
  const name = headers["impersonate-user"];
  const groups = values(headers["impersonate-group"]);
  const uid = headers["impersonate-uid"];
  const extraKeys = Object.keys(headers).filter((k) => k.startsWith(EXTRA_PREFIX));
  if (name === undefined && groups.length === 0 && uid === undefined && extraKeys.length === 0) return user;
  const asUser = Array.isArray(name) ? name[0] : name;
  if (!asUser)
    throw new ApiError(
      Reason.BadRequest,
      "requested impersonation of groups, uid or extra without impersonating a user",
    );
  const sa = parseServiceAccountUser(asUser);
  const check = (resource: string, resourceName: string, apiGroup = "", namespace = "", subresource = "") =>
    authz.check(user, {
      verb: "impersonate",
      resourceRequest: true,
      apiGroup,
      resource,
      subresource,
      name: resourceName,
      namespace,
    });
  if (sa) check("serviceaccounts", sa.name, "", sa.namespace);
  else check("users", asUser);
  for (const g of groups) check("groups", g);
  const asUid = Array.isArray(uid) ? uid[0] : uid;
  if (asUid !== undefined) check("uids", asUid, "authentication.k8s.io");
  const extra: Record<string, string[]> = {};
  for (const k of extraKeys) {
    const key = decodeURIComponent(k.slice(EXTRA_PREFIX.length));
    for (const v of values(headers[k])) check("userextras", v, "authentication.k8s.io", "", key);
    extra[key] = values(headers[k]);
  }
  const all = [...groups];
  if (sa && groups.length === 0) all.push("system:serviceaccounts", `system:serviceaccounts:${sa.namespace}`);
  const implied = asUser === ANONYMOUS_USER ? ALL_UNAUTHENTICATED : ALL_AUTHENTICATED;
  if (!all.includes(implied)) all.push(implied);
  return { user: asUser, uid: asUid ?? "", groups: all, ...(extraKeys.length > 0 ? { extra } : {}) };
}
