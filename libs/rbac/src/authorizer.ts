/**
 * RBAC evaluation over an index of the bindings by subject, so a request looks at the bindings that name its user,
 * its groups or its service account and nothing else, however many bindings exist. The index is built from the
 * objects (the log's and the bootstrap policy's) and replaced whole when any of them changes; evaluation is pure.
 */
import { BOOTSTRAP_CLUSTER_ROLES, BOOTSTRAP_CLUSTER_ROLE_BINDINGS } from "./bootstrap.ts";
import { ruleAllows, uncovered, compactString } from "./rules.ts";
import {
  RBAC_GROUP,
  SYSTEM_MASTERS,
  parseServiceAccountUser,
  type Attributes,
  type Decision,
  type LabelSelector,
  type PolicyRule,
  type RbacObject,
  type RoleRef,
  type Subject,
  type UserInfo,
} from "./types.ts";

export interface RbacObjects {
  readonly roles: readonly RbacObject[];
  readonly clusterRoles: readonly RbacObject[];
  readonly roleBindings: readonly RbacObject[];
  readonly clusterRoleBindings: readonly RbacObject[];
}

export interface IndexOptions {
  /**
   * Namespaces where only rules that grant everything (`*` verbs on `*` resources of `*` groups) count, whatever
   * else is bound: the federation's system namespace, which holds every member's credentials.
   */
  readonly restrictedNamespaces?: readonly string[];
  /** Leave the bootstrap policy out (tests of the evaluation alone). */
  readonly withoutBootstrap?: boolean;
}

interface Binding {
  readonly roleRef: RoleRef;
  /** The binding's namespace: "" for a ClusterRoleBinding. */
  readonly namespace: string;
}

const userKey = (name: string) => `User:${name}`;
const groupKey = (name: string) => `Group:${name}`;
const saKey = (namespace: string, name: string) => `ServiceAccount:${namespace}:${name}`;

/** The index keys a subject of a binding in `namespace` matches ("" for a ClusterRoleBinding). */
function subjectKey(s: Subject, namespace: string): string | undefined {
  switch (s.kind) {
    case "User":
      return userKey(s.name);
    case "Group":
      return groupKey(s.name);
    case "ServiceAccount": {
      const ns = s.namespace || namespace;
      return s.name && ns ? saKey(ns, s.name) : undefined;
    }
    default:
      return undefined;
  }
}

/** The keys a user is found under: its name, each group, and its service account. */
function keysOf(u: UserInfo): string[] {
  const keys = [userKey(u.user), ...u.groups.map(groupKey)];
  const sa = parseServiceAccountUser(u.user);
  if (sa) keys.push(saKey(sa.namespace, sa.name));
  return keys;
}

function selects(sel: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const v = labels[e.key];
    const values = e.values ?? [];
    const ok =
      e.operator === "In"
        ? v !== undefined && values.includes(v)
        : e.operator === "NotIn"
          ? v === undefined || !values.includes(v)
          : e.operator === "Exists"
            ? v !== undefined
            : e.operator === "DoesNotExist"
              ? v === undefined
              : false;
    if (!ok) return false;
  }
  // An empty selector selects nothing in aggregation, as the aggregation controller treats it.
  return Object.keys(sel.matchLabels ?? {}).length > 0 || (sel.matchExpressions ?? []).length > 0;
}

const nsName = (namespace: string, name: string) => `${namespace}/${name}`;

export class RbacIndex {
  private readonly clusterRules = new Map<string, readonly PolicyRule[]>();
  private readonly roleRules = new Map<string, readonly PolicyRule[]>();
  /** Subject key -> ClusterRoleBindings naming it. */
  private readonly cluster = new Map<string, Binding[]>();
  /** Namespace -> subject key -> RoleBindings of that namespace naming it. */
  private readonly namespaced = new Map<string, Map<string, Binding[]>>();
  private readonly restricted: ReadonlySet<string>;

  constructor(objects: RbacObjects, opts: IndexOptions = {}) {
    this.restricted = new Set(opts.restrictedNamespaces ?? []);
    const clusterRoles = opts.withoutBootstrap
      ? objects.clusterRoles
      : [...BOOTSTRAP_CLUSTER_ROLES, ...objects.clusterRoles];
    const crbs = opts.withoutBootstrap
      ? objects.clusterRoleBindings
      : [...BOOTSTRAP_CLUSTER_ROLE_BINDINGS, ...objects.clusterRoleBindings];
    this.resolveClusterRoles(clusterRoles);
    for (const r of objects.roles)
      this.roleRules.set(nsName(r.metadata.namespace ?? "", r.metadata.name), [...(r.rules ?? [])]);
    for (const b of crbs) this.add(this.cluster, b, "");
    for (const b of objects.roleBindings) {
      const ns = b.metadata.namespace ?? "";
      let m = this.namespaced.get(ns);
      if (!m) this.namespaced.set(ns, (m = new Map()));
      this.add(m, b, ns);
    }
  }

  private add(into: Map<string, Binding[]>, b: RbacObject, namespace: string): void {
    if (!b.roleRef) return;
    const binding: Binding = { roleRef: b.roleRef, namespace };
    const seen = new Set<string>();
    for (const s of b.subjects ?? []) {
      const k = subjectKey(s, namespace);
      if (k === undefined || seen.has(k)) continue;
      seen.add(k);
      const list = into.get(k);
      if (list) list.push(binding);
      else into.set(k, [binding]);
    }
  }

  /** Aggregated ClusterRoles get the rules of the ClusterRoles their selectors match (transitively), as in Kubernetes. */
  private resolveClusterRoles(roles: readonly RbacObject[]): void {
    const byName = new Map(roles.map((r) => [r.metadata.name, r]));
    const resolving = new Set<string>();
    const resolve = (r: RbacObject): readonly PolicyRule[] => {
      const name = r.metadata.name;
      const done = this.clusterRules.get(name);
      if (done) return done;
      const selectors = r.aggregationRule?.clusterRoleSelectors;
      if (!selectors || resolving.has(name)) return r.rules ?? [];
      resolving.add(name);
      const rules: PolicyRule[] = [];
      for (const other of byName.values()) {
        if (other === r) continue;
        if (selectors.some((s) => selects(s, other.metadata.labels ?? {}))) rules.push(...resolve(other));
      }
      resolving.delete(name);
      this.clusterRules.set(name, rules);
      return rules;
    };
    for (const r of byName.values()) this.clusterRules.set(r.metadata.name, resolve(r));
  }

  /** The rules a binding's roleRef names, or why not. */
  private rulesOf(b: Binding): readonly PolicyRule[] | string {
    const { kind, name } = b.roleRef;
    if (kind === "ClusterRole") return this.clusterRules.get(name) ?? `clusterrole.${RBAC_GROUP} "${name}" not found`;
    if (kind === "Role" && b.namespace !== "")
      return this.roleRules.get(nsName(b.namespace, name)) ?? `role.${RBAC_GROUP} "${name}" not found`;
    return `unknown roleRef kind ${JSON.stringify(kind)}`;
  }

  /** Every binding that applies to the user in `namespace` (ClusterRoleBindings first); "" for cluster-wide only. */
  private *bindingsFor(u: UserInfo, namespace: string): Generator<Binding> {
    const keys = keysOf(u);
    for (const k of keys) yield* this.cluster.get(k) ?? [];
    if (namespace === "") return;
    const m = this.namespaced.get(namespace);
    if (!m) return;
    for (const k of keys) yield* m.get(k) ?? [];
  }

  /** kube-apiserver's answer: system:masters first, then the rules of every binding that applies. */
  authorize(u: UserInfo, a: Attributes): Decision {
    if (u.groups.includes(SYSTEM_MASTERS)) return { allowed: true, reason: "" };
    const namespace = a.resourceRequest ? (a.namespace ?? "") : "";
    const everything = a.resourceRequest && this.restricted.has(namespace);
    const errors: string[] = [];
    for (const b of this.bindingsFor(u, namespace)) {
      const rules = this.rulesOf(b);
      if (typeof rules === "string") {
        errors.push(rules);
        continue;
      }
      for (const r of rules)
        if (everything ? grantsEverything(r) : ruleAllows(r, a)) return { allowed: true, reason: "" };
    }
    return { allowed: false, reason: errors.length === 0 ? "" : `RBAC: ${aggregate(errors)}` };
  }

  /** The rules the user holds in `namespace` (cluster-wide ones included), and the bindings that named missing roles. */
  rulesFor(u: UserInfo, namespace: string): { rules: PolicyRule[]; errors: string[] } {
    const rules: PolicyRule[] = [];
    const errors: string[] = [];
    for (const b of this.bindingsFor(u, namespace)) {
      const r = this.rulesOf(b);
      if (typeof r === "string") errors.push(r);
      else rules.push(...r);
    }
    return { rules, errors };
  }

  /** The rules a roleRef grants, for the escalation check of a binding; a string says why there are none. */
  roleRefRules(ref: RoleRef, namespace: string): readonly PolicyRule[] | string {
    return this.rulesOf({ roleRef: ref, namespace: ref.kind === "Role" ? namespace : "" });
  }

  /**
   * What the user would grant without holding it: the rules of `requested` not covered by the user's own rules in
   * `namespace` ("" for a ClusterRole or ClusterRoleBinding). Empty: no escalation. system:masters holds everything.
   */
  missingRights(u: UserInfo, namespace: string, requested: readonly PolicyRule[]): PolicyRule[] {
    if (u.groups.includes(SYSTEM_MASTERS)) return [];
    return uncovered(this.rulesFor(u, namespace).rules, requested);
  }
}

const grantsEverything = (r: PolicyRule) =>
  r.verbs.includes("*") &&
  (r.apiGroups ?? []).includes("*") &&
  (r.resources ?? []).includes("*") &&
  (r.resourceNames ?? []).length === 0;

/** Go's utilerrors aggregate: one message alone, several in brackets. */
const aggregate = (xs: string[]) => (xs.length === 1 ? xs[0]! : `[${xs.join(", ")}]`);

/**
 * kube-apiserver's 403 message: `configmaps "x" is forbidden: User "u" cannot get resource "configmaps" in API
 * group "" in the namespace "ns"`, `... at the cluster scope`, or `forbidden: User "u" cannot get path "/metrics"`.
 */
export function forbiddenMessage(u: UserInfo, a: Attributes, reason = ""): string {
  const tail = reason === "" ? "" : `: ${reason}`;
  if (!a.resourceRequest) return `forbidden: User "${u.user}" cannot ${a.verb} path "${a.path ?? ""}"${tail}`;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : (a.resource ?? "");
  const qualified = a.apiGroup ? `${a.resource}.${a.apiGroup}` : (a.resource ?? "");
  const subject = a.name ? `${qualified} "${a.name}"` : qualified;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : "at the cluster scope";
  return `${subject} is forbidden: User "${u.user}" cannot ${a.verb} resource "${resource}" in API group "${a.apiGroup ?? ""}" ${scope}${tail}`;
}

/** The message of a refused escalation, as kube-apiserver words it (the prefix `<resource> "name" is forbidden: `). */
export function escalationMessage(u: UserInfo, missing: readonly PolicyRule[], errors: readonly string[] = []): string {
  const groups = `[${u.groups.map((g) => JSON.stringify(g)).join(" ")}]`;
  let msg = `user "${u.user}" (groups=${groups}) is attempting to grant RBAC permissions not currently held:\n${missing.map(compactString).join("\n")}`;
  if (errors.length > 0) msg += `; resolution errors: [${errors.join(" ")}]`;
  return msg;
}
