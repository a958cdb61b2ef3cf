/**
 * `kubefed unjoin`: removes a member cluster from a federation (its Cluster, then its credentials Secret) and,
 * with --cleanup, everything the federation left in the member: the objects carrying its ownership label and
 * the ServiceAccount, ClusterRole and ClusterRoleBinding `kubefed join` created.
 */
import {
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  RbacAuthorizationV1Api,
  type KubeConfig,
} from "@kubernetes/client-node";
import {
  FEDERATION_SYSTEM_NAMESPACE,
  OWNED_BY_LABEL,
  apiVersionOf,
  clusterSecretName,
  memberClusterRoleName,
  memberServiceAccountName,
  validateClusterName,
  validateFederationName,
} from "@kubefed/names";
import {
  CLUSTER_API,
  FEDERATED_TYPES,
  checkFederation,
  checkReachable,
  contextsForServer,
  forContext,
  formatCounts,
  loadKubeConfig,
  oneLine,
  serverOf,
  statusCode,
  type FederatedType,
} from "./members.ts";

export interface UnjoinOptions {
  name: string;
  hostClusterContext: string;
  clusterContext?: string;
  kubeconfig?: string;
  cleanup: boolean;
  federationName: string;
}

/** Objects created by Kubernetes itself in every namespace; they do not make kubefed-system "in use". */
const AUTOMATIC = new Set(["ServiceAccount/default", "ConfigMap/kube-root-ca.crt"]);

/** What is looked at before deleting kubefed-system: the federated kinds plus what people commonly put in a namespace. */
const NAMESPACE_CONTENT: readonly FederatedType[] = [
  ...FEDERATED_TYPES.filter((ft) => ft.namespaced),
  { group: "", version: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true },
  { group: "", version: "v1", kind: "Pod", plural: "pods", namespaced: true },
  { group: "", version: "v1", kind: "PersistentVolumeClaim", plural: "persistentvolumeclaims", namespaced: true },
  { group: "apps", version: "v1", kind: "StatefulSet", plural: "statefulsets", namespaced: true },
  { group: "batch", version: "v1", kind: "CronJob", plural: "cronjobs", namespaced: true },
  { group: "rbac.authorization.k8s.io", version: "v1", kind: "Role", plural: "roles", namespaced: true },
  { group: "rbac.authorization.k8s.io", version: "v1", kind: "RoleBinding", plural: "rolebindings", namespaced: true },
];

/**
 * The context to clean up: the one given, else the single context whose server is the Cluster's address.
 * Several matches are refused rather than guessed: they may be different users with different rights.
 */
export function memberContextFor(
  kc: KubeConfig,
  name: string,
  server: string | undefined,
  given: string | undefined,
): string {
  if (given !== undefined) return given;
  if (server === undefined)
    throw new Error(`cluster ${name} has no server address: pass --cluster-context for --cleanup`);
  const found = contextsForServer(kc, server);
  if (found.length === 0)
    throw new Error(
      `no context in the kubeconfig reaches cluster ${name} at ${server}: pass --cluster-context for --cleanup`,
    );
  if (found.length > 1)
    throw new Error(
      `contexts ${found.map((c) => `"${c}"`).join(", ")} all reach cluster ${name} at ${server}: pass --cluster-context to choose one`,
    );
  return found[0]!;
}

const ignoreNotFound = (err: unknown): void => {
  if (statusCode(err) !== 404) throw err;
};

export async function unjoin(o: UnjoinOptions, say: (line: string) => void): Promise<void> {
  const nameErrs = validateClusterName(o.name);
  if (nameErrs.length > 0) throw new Error(`invalid cluster name "${o.name}": ${nameErrs[0]}`);
  const fedErrs = validateFederationName(o.federationName);
  if (fedErrs.length > 0) throw new Error(`invalid --federation-name "${o.federationName}": ${fedErrs[0]}`);
  if (o.clusterContext !== undefined && !o.cleanup) throw new Error("--cluster-context is only used with --cleanup");
  const kc = loadKubeConfig(o.kubeconfig);
  const fed = forContext(kc, o.hostClusterContext, "--host-cluster-context");
  if (o.clusterContext !== undefined) forContext(kc, o.clusterContext, "--cluster-context");
  const { name } = o;

  const clusters: CustomObjectsApi = await checkFederation(fed, o.hostClusterContext);
  const cluster = await clusters.getClusterCustomObject({ ...CLUSTER_API, name }).then(
    (c: unknown) => c as { spec?: { serverAddressByClientCIDRs?: { serverAddress?: string }[] } },
    (err: unknown) => {
      if (statusCode(err) === 404) return undefined;
      throw new Error(`cannot read cluster ${name} from the federation: ${oneLine(err)}`);
    },
  );
  // A cleanup that failed half way can be finished: the member context then says where to clean.
  if (cluster === undefined && !(o.cleanup && o.clusterContext !== undefined))
    throw new Error(`cluster ${name} is not joined`);

  let member: KubeConfig | undefined;
  if (o.cleanup) {
    const server = cluster?.spec?.serverAddressByClientCIDRs?.find((a) => a.serverAddress)?.serverAddress;
    const context = memberContextFor(kc, name, server, o.clusterContext);
    member = forContext(kc, context, "--cluster-context");
    await checkReachable(member, `cluster at ${serverOf(member)}`);
  }

  if (cluster !== undefined) {
    const secretName = clusterSecretName(name);
    try {
      await clusters.deleteClusterCustomObject({ ...CLUSTER_API, name }).catch(ignoreNotFound);
      await fed
        .makeApiClient(CoreV1Api)
        .deleteNamespacedSecret({ namespace: FEDERATION_SYSTEM_NAMESPACE, name: secretName })
        .catch(ignoreNotFound);
    } catch (err) {
      throw new Error(`cannot remove cluster ${name} from the federation: ${oneLine(err)}`);
    }
    say(`deleted cluster ${name} and secret ${FEDERATION_SYSTEM_NAMESPACE}/${secretName} from the federation`);
  } else {
    say(`cluster ${name} is not in the federation any more; cleaning up the member only`);
  }

  if (member !== undefined) {
    say(`cleaning up in cluster at ${serverOf(member)} (context "${member.getCurrentContext()}")`);
    try {
      await cleanUpMember(member, o.federationName, say);
    } catch (err) {
      const again = `kubefed unjoin ${name} --cleanup --host-cluster-context=${o.hostClusterContext} --cluster-context=<context> --federation-name=${o.federationName}`;
      throw new Error(
        `cleanup of the member failed: ${oneLine(err)} (the cluster is already out of the federation; finish with: ${again})`,
      );
    }
  }
  say(`cluster "${name}" unjoined`);
}

/** Deletes what the federation owns in the member, then the federation's identity there. */
async function cleanUpMember(member: KubeConfig, federation: string, say: (line: string) => void): Promise<void> {
  const objects = KubernetesObjectApi.makeApiClient(member);
  const selector = `${OWNED_BY_LABEL}=${federation}`;
  const counts = new Map<FederatedType, number>();
  for (const ft of FEDERATED_TYPES) {
    const list = await objects.list(
      apiVersionOf(ft),
      ft.kind,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      selector,
    );
    for (const item of list.items) {
      const metadata = {
        name: item.metadata!.name!,
        ...(ft.namespaced ? { namespace: item.metadata!.namespace! } : {}),
      };
      await objects
        .delete(
          { apiVersion: apiVersionOf(ft), kind: ft.kind, metadata },
          undefined,
          undefined,
          undefined,
          undefined,
          "Background",
        )
        .catch(ignoreNotFound);
    }
    counts.set(ft, list.items.length);
  }
  say(`deleted ${formatCounts(counts)} labelled ${selector} in the member`);

  const ns = FEDERATION_SYSTEM_NAMESPACE;
  const role = memberClusterRoleName(federation);
  const sa = memberServiceAccountName(federation);
  const rbac = member.makeApiClient(RbacAuthorizationV1Api);
  const core = member.makeApiClient(CoreV1Api);
  const identity = [
    [`clusterrolebinding ${role}`, () => rbac.deleteClusterRoleBinding({ name: role })],
    [`clusterrole ${role}`, () => rbac.deleteClusterRole({ name: role })],
    [`serviceaccount ${ns}/${sa}`, () => core.deleteNamespacedServiceAccount({ namespace: ns, name: sa })],
  ] as const;
  const deleted: string[] = [];
  for (const [what, del] of identity) if (await deletedNow(del)) deleted.push(what);
  if (deleted.length > 0)
    say(
      `deleted ${deleted.length > 1 ? `${deleted.slice(0, -1).join(", ")} and ${deleted.at(-1)}` : deleted[0]} in the member`,
    );

  const others: string[] = [];
  for (const ft of NAMESPACE_CONTENT) {
    const list = await objects.list(apiVersionOf(ft), ft.kind, ns).catch((err: unknown) => {
      // Kinds this member does not serve hold nothing.
      if (statusCode(err) === 404 || /Unrecognized API version and kind/.test(String(err))) return { items: [] };
      throw err;
    });
    for (const item of list.items) {
      const key = `${ft.kind}/${item.metadata?.name}`;
      if (!AUTOMATIC.has(key)) others.push(key.toLowerCase());
    }
  }
  if (others.length > 0) {
    say(
      `kept namespace ${ns} in the member: it still holds ${others.slice(0, 3).join(", ")}${others.length > 3 ? ` and ${others.length - 3} more` : ""}`,
    );
    return;
  }
  if (await deletedNow(() => core.deleteNamespace({ name: ns }))) say(`deleted namespace ${ns} in the member`);
}

/** Deletes; false when there was nothing to delete. */
async function deletedNow(del: () => Promise<unknown>): Promise<boolean> {
  return del().then(
    () => true,
    (err: unknown) => {
      ignoreNotFound(err);
      return false;
    },
  );
}
