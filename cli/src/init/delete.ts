/**
 * `kubefed delete NAME --host-cluster-context=CTX [--delete-data]`: removes what `kubefed init NAME` created in
 * the host (found by the control-plane label) and kubeconfig context NAME. The Kafka claim, which holds the
 * federation's whole log, stays unless --delete-data is given, and the command says so.
 */
import { CoreV1Api, KubernetesObjectApi, type KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import { CONTROL_PLANE_LABEL, HOST_NAMESPACE } from "@kubefed/names";
import { oneLine, statusCode } from "../members.ts";
import { InputError } from "../output.ts";
import { HOSTED_KINDS, describeObject, listHosted } from "./host.ts";
import { forHost, readKubeConfig } from "./init.ts";
import { kubeconfigPath, removeContext } from "./kubeconfig.ts";

export interface DeleteOptions {
  readonly name: string;
  readonly hostClusterContext: string;
  readonly kubeconfig?: string;
  readonly deleteData: boolean;
  readonly timeout: number;
}

const isClaim = (o: KubernetesObject) => o.kind === "PersistentVolumeClaim";
const order = (o: KubernetesObject) => HOSTED_KINDS.findIndex((k) => k.kind === o.kind);

export async function deleteFederation(
  o: DeleteOptions,
  io: { say: (line: string) => void; env: Readonly<Record<string, string | undefined>> },
): Promise<void> {
  const kc = forHost(readKubeConfig(o.kubeconfig), o.hostClusterContext);
  const found = await listHosted(kc, o.name);
  const path = kubeconfigPath(o.kubeconfig, io.env);
  if (found.length === 0) {
    if (removeContext(path, o.name))
      return io.say(`nothing of "${o.name}" in the host; removed context "${o.name}" from ${path}`);
    throw new InputError(
      `no federation "${o.name}" in the host's ${HOST_NAMESPACE} and no context "${o.name}" in ${path}`,
    );
  }
  const doomed = found.filter((x) => o.deleteData || !isClaim(x)).sort((a, b) => order(a) - order(b));
  const objects = KubernetesObjectApi.makeApiClient(kc);
  for (const x of doomed) {
    try {
      // Background: the Deployments' ReplicaSets and pods go after them, through the garbage collector.
      await objects.delete(x, undefined, undefined, undefined, undefined, "Background");
      io.say(`deleted ${describeObject(x)}`);
    } catch (err) {
      if (statusCode(err) !== 404) throw new Error(`deleting ${describeObject(x)}: ${oneLine(err)}`);
    }
  }
  // Done when the objects, and the pods they owned, are gone, so that a following init of the name starts clean.
  const core = kc.makeApiClient(CoreV1Api);
  const deadline = Date.now() + o.timeout * 1000;
  for (;;) {
    const left = (await listHosted(kc, o.name)).filter((x) => o.deleteData || !isClaim(x));
    const pods = await core.listNamespacedPod({
      namespace: HOST_NAMESPACE,
      labelSelector: `${CONTROL_PLANE_LABEL}=${o.name}`,
    });
    if (left.length === 0 && pods.items.length === 0) break;
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${[...left.map(describeObject), ...pods.items.map((p) => `pod/${p.metadata?.name}`)].join(", ")} to go`,
      );
    await new Promise((r) => setTimeout(r, 1000));
  }
  for (const claim of found.filter(isClaim)) {
    if (!o.deleteData) {
      io.say(`kept ${describeObject(claim)}, the federation's log (--delete-data deletes it)`);
      continue;
    }
    const volume = (claim as { spec?: { volumeName?: string } }).spec?.volumeName;
    if (volume) io.say(`persistentvolume/${volume} follows its reclaim policy (a Retain volume stays, Released)`);
  }
  await deleteNamespaceIfOurs(kc, io.say);
  if (removeContext(path, o.name)) io.say(`removed context "${o.name}" from ${path}`);
  io.say(`federation "${o.name}" deleted`);
}

/** The namespace goes too when init created it and no control plane (another's, or a kept claim) is left in it. */
async function deleteNamespaceIfOurs(kc: KubeConfig, say: (line: string) => void): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const ns = await core.readNamespace({ name: HOST_NAMESPACE });
  if (ns.metadata?.labels?.["app.kubernetes.io/managed-by"] !== "kubefed") return;
  const left = await listHosted(kc);
  if (left.length > 0) return;
  await core.deleteNamespace({ name: HOST_NAMESPACE });
  say(`deleted namespace/${HOST_NAMESPACE} (init created it; nothing of any federation is left in it)`);
}
