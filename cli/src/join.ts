/**
 * `kubefed join`: registers a member cluster with a federation. In the member it sets up a ServiceAccount with
 * a ClusterRole limited to the federated types and asks for a token; in the federation it stores that token
 * in a Secret and creates the Cluster. Everything that can be checked is checked before anything is written.
 */
import {
  AuthorizationV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  type KubeConfig,
  type KubernetesObject,
  type V1ResourceAttributes,
} from "@kubernetes/client-node";
import {
  CREDENTIALS_SERVER_KEY,
  FEDERATION_SYSTEM_NAMESPACE,
  REGION_LABEL,
  ZONE_LABEL,
  apiVersionOf,
  clusterSecretName,
  memberClusterRoleName,
  memberServiceAccountName,
  validateClusterName,
  validateFederationName,
} from "@kubefed/names";
import {
  CLUSTER_API,
  JOIN_FIELD_MANAGER,
  caOf,
  checkFederation,
  checkReachable,
  checkTopologyValue,
  forContext,
  loadKubeConfig,
  memberClusterRoleRules,
  oneLine,
  parseLabels,
  serverOf,
  statusCode,
  topologyFromNodes,
} from "./members.ts";

export interface JoinOptions {
  name: string;
  hostClusterContext: string;
  clusterContext: string;
  kubeconfig?: string;
  region?: string;
  zone?: string;
  labels?: string;
  federationName: string;
  /**
   * Re-join a member that is already joined: a fresh token bound to the member context's current address, and the
   * Cluster moved to that address. The only way a member's address changes: credentials go nowhere else.
   */
  update?: boolean;
}

/** One year: the member apiserver's --service-account-max-token-expiration may shorten it. */
export const DEFAULT_TOKEN_EXPIRATION_SECONDS = 365 * 24 * 3600;

export interface JoinPlan {
  name: string;
  federation: string;
  fed: KubeConfig;
  member: KubeConfig;
  memberContext: string;
  /** Labels from the flags (region and zone included); node topology may add region and zone later. */
  labels: Record<string, string>;
}

/** Checks everything that needs no network; throws one line naming the bad input. */
export function planJoin(o: JoinOptions, kc: KubeConfig): JoinPlan {
  const nameErrs = validateClusterName(o.name);
  if (nameErrs.length > 0) throw new Error(`invalid cluster name "${o.name}": ${nameErrs[0]}`);
  const fedErrs = validateFederationName(o.federationName);
  if (fedErrs.length > 0) throw new Error(`invalid --federation-name "${o.federationName}": ${fedErrs[0]}`);
  checkTopologyValue("--region", o.region);
  checkTopologyValue("--zone", o.zone);
  const labels = parseLabels(o.labels);
  for (const [flag, label, value] of [
    ["--region", REGION_LABEL, o.region],
    ["--zone", ZONE_LABEL, o.zone],
  ] as const) {
    if (value === undefined) continue;
    if (labels[label] !== undefined && labels[label] !== value)
      throw new Error(`${flag} ${value} contradicts --labels ${label}=${labels[label]}`);
    labels[label] = value;
  }
  if (labels[ZONE_LABEL] !== undefined && labels[REGION_LABEL] === undefined)
    throw new Error("--zone needs --region: a zone's DNS names sit under its region's");
  if (o.hostClusterContext === o.clusterContext)
    throw new Error(
      `--host-cluster-context and --cluster-context are both "${o.clusterContext}": the member must be another cluster`,
    );
  const fed = forContext(kc, o.hostClusterContext, "--host-cluster-context");
  const member = forContext(kc, o.clusterContext, "--cluster-context");
  return { name: o.name, federation: o.federationName, fed, member, memberContext: o.clusterContext, labels };
}

/** The Cluster object the federation stores for a member. */
export function clusterObject(
  name: string,
  server: string,
  labels: Record<string, string>,
): KubernetesObject & { spec: unknown } {
  return {
    apiVersion: apiVersionOf(CLUSTER_API),
    kind: "Cluster",
    metadata: { name, ...(Object.keys(labels).length > 0 ? { labels } : {}) },
    spec: {
      // One address for every client: members of this federation are reached the same way from anywhere.
      serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: server }],
      secretRef: { name: clusterSecretName(name) },
    },
  };
}

/** Rights the joining user needs in the member, as SelfSubjectAccessReview attributes. */
export function requiredRights(federation: string): V1ResourceAttributes[] {
  const ns = FEDERATION_SYSTEM_NAMESPACE;
  const rbac = "rbac.authorization.k8s.io";
  const role = memberClusterRoleName(federation);
  return [
    { verb: "create", resource: "namespaces" },
    { verb: "create", resource: "serviceaccounts", namespace: ns },
    {
      verb: "create",
      resource: "serviceaccounts",
      subresource: "token",
      namespace: ns,
      name: memberServiceAccountName(federation),
    },
    { verb: "create", group: rbac, resource: "clusterroles" },
    { verb: "patch", group: rbac, resource: "clusterroles", name: role },
    { verb: "create", group: rbac, resource: "clusterrolebindings" },
    { verb: "patch", group: rbac, resource: "clusterrolebindings", name: role },
  ];
}

export function describeRight(a: V1ResourceAttributes): string {
  const resource = `${a.resource}${a.group ? `.${a.group}` : ""}${a.subresource ? `/${a.subresource}` : ""}`;
  return `${a.verb} ${resource}${a.namespace ? ` in ${a.namespace}` : ""}`;
}

/**
 * What the user of the member context lacks to join it. Granting a ClusterRole needs either every permission
 * in it or the `escalate` and `bind` verbs on it (RBAC's escalation check), so both ways are accepted.
 */
async function missingRights(member: KubeConfig, federation: string): Promise<string[]> {
  const authz = member.makeApiClient(AuthorizationV1Api);
  const allowed = async (a: V1ResourceAttributes): Promise<boolean> =>
    (await authz.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: a } } })).status?.allowed === true;
  const check = async (attrs: V1ResourceAttributes[]) => {
    const answers = await Promise.all(attrs.map(allowed));
    return attrs.filter((_, i) => !answers[i]).map(describeRight);
  };
  const role = memberClusterRoleName(federation);
  const rbac = "rbac.authorization.k8s.io";
  // Whether the user may grant the role without holding its rights, asked alongside the rights themselves.
  const [missing, escalate, bind] = await Promise.all([
    check(requiredRights(federation)),
    allowed({ verb: "escalate", group: rbac, resource: "clusterroles", name: role }),
    allowed({ verb: "bind", group: rbac, resource: "clusterroles", name: role }),
  ]);
  // Without these the grants do not matter; listing them too would only bury the first problem.
  if (missing.length > 0) return missing;
  if (!(escalate && bind)) {
    const grants = memberClusterRoleRules().flatMap((r) =>
      r.apiGroups!.flatMap((group) =>
        r.resources!.flatMap((resource) => r.verbs.map((verb) => ({ verb, group, resource }))),
      ),
    );
    const lacking = await check(grants);
    if (lacking.length > 0) missing.push(...lacking);
  }
  return missing;
}

async function createIfMissing(what: string, create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (err) {
    if (statusCode(err) !== 409) throw new Error(`cannot create ${what}: ${oneLine(err)}`);
  }
}

/** Sets up the federation's identity in the member and returns a token for it. */
async function setUpMember(plan: JoinPlan, say: (line: string) => void): Promise<{ token: string; expires?: Date }> {
  const ns = FEDERATION_SYSTEM_NAMESPACE;
  const sa = memberServiceAccountName(plan.federation);
  const role = memberClusterRoleName(plan.federation);
  const core = plan.member.makeApiClient(CoreV1Api);
  const objects = KubernetesObjectApi.makeApiClient(plan.member);
  const apply = async (obj: KubernetesObject) => {
    try {
      await objects.patch(obj, undefined, undefined, JOIN_FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
    } catch (err) {
      throw new Error(`cannot apply ${obj.kind?.toLowerCase()} ${obj.metadata?.name} in the member: ${oneLine(err)}`);
    }
  };
  await waitNamespaceNotTerminating(core, ns, say);
  say(`creating namespace ${ns} and serviceaccount ${ns}/${sa} in the member`);
  say(`applying clusterrole ${role} (the federated types only) and its clusterrolebinding in the member`);
  // Two independent chains: the namespace before its serviceaccount, the role before its binding (granting a
  // role that does not exist yet is refused to a user who may not `bind` it). The binding may name a
  // serviceaccount that is still being created.
  const identity = (async () => {
    await createIfMissing(`namespace ${ns} in the member`, () =>
      core.createNamespace({ body: { metadata: { name: ns } } }),
    );
    await createIfMissing(`serviceaccount ${ns}/${sa} in the member`, () =>
      core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: sa, namespace: ns } } }),
    );
  })();
  const rights = (async () => {
    await apply({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: role },
      rules: memberClusterRoleRules(),
    } as KubernetesObject);
    await apply({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: role },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
      subjects: [{ kind: "ServiceAccount", name: sa, namespace: ns }],
    } as KubernetesObject);
  })();
  // Both chains end before a failure is reported, so nothing is still being written when the command exits.
  const settled = await Promise.allSettled([identity, rights]);
  for (const r of settled) if (r.status === "rejected") throw r.reason;
  let tr;
  try {
    tr = await core.createNamespacedServiceAccountToken({
      name: sa,
      namespace: ns,
      body: { spec: { audiences: [], expirationSeconds: DEFAULT_TOKEN_EXPIRATION_SECONDS } },
    });
  } catch (err) {
    throw new Error(`cannot get a token for serviceaccount ${ns}/${sa} in the member: ${oneLine(err)}`);
  }
  const token = tr.status?.token;
  if (!token) throw new Error(`the member answered the token request for ${ns}/${sa} without a token`);
  const expires = tr.status?.expirationTimestamp;
  say(`got a token for serviceaccount ${ns}/${sa}${expires ? ` valid until ${new Date(expires).toISOString()}` : ""}`);
  return { token, ...(expires ? { expires: new Date(expires) } : {}) };
}

/** Region and zone of the member from its nodes, unless given; none when it has no (labelled) nodes. */
async function nodeTopology(member: KubeConfig): Promise<{ region?: string; zone?: string }> {
  try {
    const nodes = await member.makeApiClient(CoreV1Api).listNode();
    return topologyFromNodes(nodes.items);
  } catch {
    // Topology is a convenience: without the right to list nodes the flags are the only source.
    return {};
  }
}

export async function join(o: JoinOptions, say: (line: string) => void): Promise<void> {
  const plan = planJoin(o, loadKubeConfig(o.kubeconfig));
  const { name, fed, member } = plan;
  const memberServer = serverOf(member);

  say(`checking the federation and the cluster at ${memberServer} (context "${plan.memberContext}")`);
  // Everything here only reads, so the federation and the member are checked at the same time. The federation's
  // failure is reported first, as soon as it is known; the member's waits for it.
  const federationChecked = (async () => {
    const clusters = await checkFederation(fed, o.hostClusterContext);
    const joined = await clusters.getClusterCustomObject({ ...CLUSTER_API, name }).then(
      () => true,
      (err: unknown) => {
        if (statusCode(err) === 404) return false;
        throw new Error(`cannot read cluster ${name} from the federation: ${oneLine(err)}`);
      },
    );
    if (joined && !o.update)
      throw new Error(
        `cluster ${name} is already joined (kubefed join --update re-issues its credentials and address)`,
      );
    if (!joined && o.update) throw new Error(`cluster ${name} is not joined: --update changes a joined cluster`);
    return clusters;
  })();
  const memberChecked = (async () => {
    await checkReachable(member, `cluster at ${memberServer}`);
    const [missing, topo] = await Promise.all([
      missingRights(member, plan.federation).catch((err: unknown) => {
        throw new Error(`cannot check rights in the member at ${memberServer}: ${oneLine(err)}`);
      }),
      plan.labels[REGION_LABEL] === undefined
        ? nodeTopology(member)
        : Promise.resolve<{ region?: string; zone?: string }>({}),
    ]);
    const shown = missing.length > 4 ? [...missing.slice(0, 3), `and ${missing.length - 3} more`] : missing;
    if (missing.length > 0)
      throw new Error(
        `missing rights in the member: ${shown.join(", ")} (the user of context "${plan.memberContext}" must be allowed to set up RBAC, e.g. cluster-admin)`,
      );
    return topo;
  })();
  memberChecked.catch(() => undefined); // reported below, unless the federation's failure is
  const clusters = await federationChecked;
  const topo = await memberChecked;
  const ca = caOf(member);

  const labels = { ...plan.labels };
  // Node topology was only read when --region was not given.
  if (topo.region !== undefined) {
    labels[REGION_LABEL] = topo.region;
    if (topo.zone !== undefined && labels[ZONE_LABEL] === undefined) labels[ZONE_LABEL] = topo.zone;
    say(`region ${topo.region}${topo.zone ? `, zone ${topo.zone}` : ""} from the member's node labels`);
  }

  const { token } = await setUpMember(plan, say);

  const ns = FEDERATION_SYSTEM_NAMESPACE;
  const secretName = clusterSecretName(name);
  const core = fed.makeApiClient(CoreV1Api);
  say(`storing the credentials in secret ${ns}/${secretName} of the federation`);
  await createIfMissing(`namespace ${ns} in the federation`, () =>
    core.createNamespace({ body: { metadata: { name: ns } } }),
  );
  const secret = {
    metadata: { name: secretName, namespace: ns },
    type: "Opaque",
    data: {
      token: Buffer.from(token).toString("base64"),
      ...(ca ? { "ca.crt": Buffer.from(ca).toString("base64") } : {}),
      // The address the token was issued for: the propagator sends it nowhere else, whatever the Cluster says.
      [CREDENTIALS_SERVER_KEY]: Buffer.from(memberServer).toString("base64"),
    },
  };
  try {
    await core.createNamespacedSecret({ namespace: ns, body: secret });
  } catch (err) {
    if (statusCode(err) !== 409)
      throw new Error(`cannot create secret ${ns}/${secretName} in the federation: ${oneLine(err)}`);
    // Left over from an earlier join that did not finish (there is no Cluster): the fresh token wins.
    try {
      await core.replaceNamespacedSecret({ namespace: ns, name: secretName, body: secret });
    } catch (e) {
      throw new Error(`cannot update secret ${ns}/${secretName} in the federation: ${oneLine(e)}`);
    }
  }

  if (o.update) {
    say(`moving cluster ${name} in the federation to ${memberServer}`);
    const current = (await clusters.getClusterCustomObject({ ...CLUSTER_API, name })) as KubernetesObject & {
      spec?: Record<string, unknown>;
    };
    const next = clusterObject(name, memberServer, { ...(current.metadata?.labels ?? {}), ...labels });
    try {
      await clusters.replaceClusterCustomObject({
        ...CLUSTER_API,
        name,
        body: { ...next, metadata: { ...next.metadata, resourceVersion: current.metadata?.resourceVersion } },
      });
    } catch (err) {
      throw new Error(`cannot update cluster ${name} in the federation: ${oneLine(err)}`);
    }
    say(`cluster "${name}" updated`);
    return;
  }
  say(`creating cluster ${name} in the federation`);
  try {
    await clusters.createClusterCustomObject({ ...CLUSTER_API, body: clusterObject(name, memberServer, labels) });
  } catch (err) {
    if (statusCode(err) === 409) throw new Error(`cluster ${name} is already joined`);
    throw new Error(`cannot create cluster ${name} in the federation: ${oneLine(err)}`);
  }
  say(`cluster "${name}" joined`);
}

/**
 * A previous `unjoin --cleanup` may have left the member's system namespace terminating: nothing can be created in it
 * until the member has finished deleting it, so wait for that (bounded) instead of failing half way.
 */
async function waitNamespaceNotTerminating(
  core: CoreV1Api,
  ns: string,
  say: (line: string) => void,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    let phase: string | undefined;
    try {
      phase = (await core.readNamespace({ name: ns })).status?.phase;
    } catch {
      return; // absent (or unreadable: the create that follows says why)
    }
    if (phase !== "Terminating") return;
    if (!told) {
      say(`waiting for namespace ${ns} in the member to finish terminating`);
      told = true;
    }
    if (Date.now() > deadline)
      throw new Error(
        `namespace ${ns} in the member is still terminating after ${timeoutMs / 1000}s; try again when it is gone`,
      );
    await new Promise((r) => setTimeout(r, 500));
  }
}
