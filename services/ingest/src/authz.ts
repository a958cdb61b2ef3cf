/**
 * Authorization of the federation API with the RBAC objects of the log (and the built-in bootstrap policy):
 * the request's attributes as kube-apiserver's RequestInfo names them, the 403 in its words (logged and counted),
 * and the checks a write of RBAC objects needs beyond its verb (escalation, bind, the built-in names).
 */
import type { Logger } from "pino";
import type { Counter } from "prom-client";
import type { KubeObject } from "@kubefed/events";
import { FEDERATION_SYSTEM_NAMESPACE } from "@kubefed/names";
import {
  BOOTSTRAP_CLUSTER_ROLES,
  BOOTSTRAP_CLUSTER_ROLE_BINDINGS,
  RBAC_GROUP,
  RbacIndex,
  escalationMessage,
  forbiddenMessage,
  isBootstrap,
  type Attributes,
  type PolicyRule,
  type RbacObject,
  type UserInfo,
} from "@kubefed/rbac";
import { CommandType, getObject, objectsOfKind, type Command, type FederationState } from "@kubefed/state";
import type { ResourcePath } from "./http.ts";
import { ApiError, Reason } from "./status.ts";

const KINDS = {
  roles: `${RBAC_GROUP}/Role`,
  clusterRoles: `${RBAC_GROUP}/ClusterRole`,
  roleBindings: `${RBAC_GROUP}/RoleBinding`,
  clusterRoleBindings: `${RBAC_GROUP}/ClusterRoleBinding`,
} as const;
const RESOURCE_OF_KIND: Readonly<Record<string, string>> = {
  Role: "roles",
  ClusterRole: "clusterroles",
  RoleBinding: "rolebindings",
  ClusterRoleBinding: "clusterrolebindings",
};

/** kube-apiserver's verb of a resource request. */
export function requestVerb(method: string, p: Pick<ResourcePath, "name">, q: URLSearchParams): string {
  switch (method) {
    case "GET":
    case "HEAD":
      if (p.name !== undefined) return "get";
      return q.get("watch") === "true" || q.get("watch") === "1" ? "watch" : "list";
    case "POST":
      return "create";
    case "PUT":
      return "update";
    case "PATCH":
      return "patch";
    case "DELETE":
      return p.name === undefined ? "deletecollection" : "delete";
    default:
      return method.toLowerCase();
  }
}

/** The attributes of a resource request; a Namespace's own requests are in that namespace, as in Kubernetes. */
export function resourceAttributes(verb: string, p: ResourcePath): Attributes {
  const namespace =
    p.rt.group === "" && p.rt.resource === "namespaces" && p.name !== undefined ? p.name : (p.namespace ?? "");
  return {
    verb,
    resourceRequest: true,
    apiGroup: p.rt.group,
    resource: p.rt.resource,
    subresource: p.subresource ?? "",
    name: p.name ?? "",
    namespace,
  };
}

export const pathAttributes = (verb: string, path: string): Attributes => ({ verb, resourceRequest: false, path });

export interface AuthorizerDeps {
  /** The fold's current state: the RBAC objects are read from it. */
  state: () => FederationState;
  logger: Logger;
  denied: Counter;
}

const objectsOf = (s: FederationState, kk: string) => objectsOfKind(s, kk).map(([, o]) => o as unknown as RbacObject);

export class Authorizer {
  private index: RbacIndex | undefined;
  /** The kind indexes the current RbacIndex was built from: any write to them replaces the index. */
  private builtFrom: unknown[] = [];

  constructor(private readonly d: AuthorizerDeps) {}

  /** The index of the state's RBAC objects, rebuilt only when one of them changed. */
  rbac(state: FederationState = this.d.state()): RbacIndex {
    const now = Object.values(KINDS).map((k) => state.kinds[k]);
    if (this.index && now.every((k, i) => k === this.builtFrom[i])) return this.index;
    this.builtFrom = now;
    this.index = new RbacIndex(
      {
        roles: objectsOf(state, KINDS.roles),
        clusterRoles: objectsOf(state, KINDS.clusterRoles),
        roleBindings: objectsOf(state, KINDS.roleBindings),
        clusterRoleBindings: objectsOf(state, KINDS.clusterRoleBindings),
      },
      { restrictedNamespaces: [FEDERATION_SYSTEM_NAMESPACE] },
    );
    return this.index;
  }

  allows(user: UserInfo, a: Attributes): boolean {
    return this.rbac().authorize(user, a).allowed;
  }

  /** Throws kube-apiserver's 403 when RBAC does not allow the request; the denial is logged and counted. */
  check(user: UserInfo, a: Attributes): void {
    const decision = this.rbac().authorize(user, a);
    if (decision.allowed) return;
    const resource = a.resourceRequest ? (a.subresource ? `${a.resource}/${a.subresource}` : a.resource) : a.path;
    this.d.denied.inc({ verb: a.verb, resource: resource ?? "" });
    this.d.logger.warn(
      {
        user: user.user,
        groups: user.groups,
        verb: a.verb,
        resource,
        group: a.apiGroup,
        namespace: a.namespace,
        name: a.name,
      },
      "request denied",
    );
    throw new ApiError(Reason.Forbidden, forbiddenMessage(user, a, decision.reason), {
      ...(a.name ? { name: a.name } : {}),
      ...(a.resourceRequest ? { group: a.apiGroup ?? "", kind: a.resource ?? "" } : {}),
    });
  }

  /**
   * What a write needs beyond its verb, checked on the state the write is decided on: a create also by a patch
   * (server-side apply creates), no built-in ClusterRole or binding replaced, no role granting what its writer does
   * not hold (unless allowed to `escalate`), no binding to a role whose rights its writer does not hold (unless
   * allowed to `bind` it), and a binding's roleRef never changed.
   */
  guard(command: Command, state: FederationState, plural: string): void {
    const { ref } = command.data;
    const user: UserInfo = { user: command.metadata.actor.user, uid: "", groups: command.metadata.actor.groups };
    const resource = ref.group === RBAC_GROUP ? RESOURCE_OF_KIND[ref.kind] : undefined;
    if (command.type === CommandType.CreateObject && !user.groups.includes("system:masters")) {
      // The route authorized the request's verb; a patch that creates needs create as well, as in Kubernetes.
      this.check(user, {
        verb: "create",
        resourceRequest: true,
        apiGroup: ref.group,
        resource: plural,
        namespace: ref.namespace ?? "",
      });
    }
    if (resource === undefined) return;
    const qualified = `${resource}.${RBAC_GROUP}`;
    if (isBootstrap(ref.kind, ref.name)) {
      if (command.type === CommandType.CreateObject)
        throw new ApiError(Reason.AlreadyExists, `${qualified} "${ref.name}" already exists`, {
          name: ref.name,
          group: RBAC_GROUP,
          kind: resource,
        });
      throw new ApiError(
        Reason.MethodNotAllowed,
        `${qualified} "${ref.name}" is built into the federation's bootstrap policy and cannot be changed`,
        { name: ref.name, group: RBAC_GROUP, kind: resource },
      );
    }
    if (command.type !== CommandType.CreateObject && command.type !== CommandType.UpdateObject) return;
    const obj = command.data.object as unknown as RbacObject;
    const namespace = ref.namespace ?? "";
    const index = this.rbac(state);
    const forbidden = (message: string) =>
      new ApiError(Reason.Forbidden, `${qualified} "${ref.name}" is forbidden: ${message}`, {
        name: ref.name,
        group: RBAC_GROUP,
        kind: resource,
      });
    const may = (verb: string, res: string, name: string) =>
      index.authorize(user, { verb, resourceRequest: true, apiGroup: RBAC_GROUP, resource: res, name, namespace })
        .allowed;
    if (ref.kind === "Role" || ref.kind === "ClusterRole") {
      if (may("escalate", resource, ref.name)) return;
      const rules: PolicyRule[] = [...(obj.rules ?? [])];
      // An aggregated ClusterRole grants what it selects: its writer must hold that too.
      if (obj.aggregationRule?.clusterRoleSelectors?.length) {
        const others = objectsOf(state, KINDS.clusterRoles).filter((r) => r.metadata.name !== ref.name);
        const probe = new RbacIndex({
          roles: [],
          roleBindings: [],
          clusterRoles: [...others, obj],
          clusterRoleBindings: [],
        });
        const granted = probe.roleRefRules({ kind: "ClusterRole", name: ref.name }, "");
        if (typeof granted !== "string") rules.push(...granted);
      }
      const missing = index.missingRights(user, namespace, rules);
      if (missing.length > 0) throw forbidden(escalationMessage(user, missing));
      return;
    }
    const roleRef = obj.roleRef;
    if (!roleRef) return; // validation refuses it
    if (command.type === CommandType.UpdateObject) {
      const before = getObject(state, ref) as unknown as RbacObject | undefined;
      const was = before?.roleRef;
      if (
        was &&
        (was.kind !== roleRef.kind || was.name !== roleRef.name || (was.apiGroup ?? "") !== (roleRef.apiGroup ?? ""))
      )
        throw new ApiError(
          Reason.Invalid,
          `${ref.kind}.${RBAC_GROUP} "${ref.name}" is invalid: roleRef: Invalid value: ${JSON.stringify(roleRef)}: cannot change roleRef`,
          {
            name: ref.name,
            group: RBAC_GROUP,
            kind: ref.kind,
            causes: [{ reason: "FieldValueInvalid", field: "roleRef", message: "cannot change roleRef" }],
          },
        );
    }
    const refResource = roleRef.kind === "Role" ? "roles" : "clusterroles";
    if (may("bind", refResource, roleRef.name)) return;
    const rules = index.roleRefRules(roleRef, namespace);
    if (typeof rules === "string") throw forbidden(rules);
    const missing = index.missingRights(user, namespace, rules);
    if (missing.length > 0) throw forbidden(escalationMessage(user, missing));
  }
}

/** The built-in objects of a kind (ClusterRoles and ClusterRoleBindings), served read-only beside the log's. */
export function builtInObjects(group: string, kind: string): KubeObject[] {
  if (group !== RBAC_GROUP) return [];
  const list =
    kind === "ClusterRole"
      ? BOOTSTRAP_CLUSTER_ROLES
      : kind === "ClusterRoleBinding"
        ? BOOTSTRAP_CLUSTER_ROLE_BINDINGS
        : [];
  return list as unknown as KubeObject[];
}
