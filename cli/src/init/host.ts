// What init and delete ask of the host cluster: the objects of one hosted control plane (found by its label),
// a PersistentVolume reserved for the Kafka claim, and the address clients reach the federation API at.
import {
  CoreV1Api,
  KubernetesObjectApi,
  type KubeConfig,
  type KubernetesObject,
  type V1PersistentVolume,
  type V1Service,
} from "@kubernetes/client-node";
import { CONTROL_PLANE_LABEL, HOST_NAMESPACE, hostedNames } from "@kubefed/names";
import { InputError } from "../output.ts";
import type { ReservedVolume } from "./manifests.ts";
import type { InitPlan } from "./options.ts";

/** The namespaced kinds init creates, in the order delete removes them (workloads before what they mount). */
export const HOSTED_KINDS = [
  { apiVersion: "apps/v1", kind: "Deployment" },
  { apiVersion: "apps/v1", kind: "StatefulSet" },
  { apiVersion: "v1", kind: "Service" },
  { apiVersion: "v1", kind: "Secret" },
  { apiVersion: "v1", kind: "ServiceAccount" },
  { apiVersion: "v1", kind: "PersistentVolumeClaim" },
] as const;

/** The objects of one federation's control plane, or (no name) of any federation's. */
export const selectorOf = (fed?: string): string =>
  fed === undefined ? CONTROL_PLANE_LABEL : `${CONTROL_PLANE_LABEL}=${fed}`;

/** Every object of the federation's control plane in the host namespace (those of the kinds above). */
export async function listHosted(kc: KubeConfig, fed?: string): Promise<KubernetesObject[]> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  const lists = await Promise.all(
    HOSTED_KINDS.map(async (k) => {
      const list = await api.list(
        k.apiVersion,
        k.kind,
        HOST_NAMESPACE,
        undefined,
        undefined,
        undefined,
        undefined,
        selectorOf(fed),
      );
      return list.items.map((o) => ({ ...o, apiVersion: k.apiVersion, kind: k.kind }));
    }),
  );
  return lists.flat();
}

const BINARY: Readonly<Record<string, number>> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Readonly<Record<string, number>> = { k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** A storage quantity in bytes ("10Gi", "500M", "1073741824"); NaN for anything else. */
export function quantityBytes(q: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)([KMGTPE]i|[kMGTPE])?$/.exec(q);
  if (!m) return Number.NaN;
  const suffix = m[2] ?? "";
  return Number(m[1]) * (BINARY[suffix] ?? DECIMAL[suffix] ?? 1);
}

/**
 * The PersistentVolume whose claimRef names the Kafka claim, checked against the claim it must bind: enough
 * capacity, ReadWriteOnce, not bound elsewhere, and the storage class asked for. None: the claim is provisioned
 * by the cluster (its default class or --kafka-pv-storage-class).
 */
export function reservedVolume(plan: InitPlan, volumes: readonly V1PersistentVolume[]): ReservedVolume | undefined {
  if (plan.kafka.kind !== "embedded" || plan.kafka.storage === undefined) return undefined;
  const claim = hostedNames(plan.name).kafkaClaim;
  const pv = volumes.find((v) => v.spec?.claimRef?.namespace === HOST_NAMESPACE && v.spec.claimRef.name === claim);
  if (!pv) return undefined;
  const name = pv.metadata?.name ?? "";
  const what = `persistentvolume ${name}, reserved for ${HOST_NAMESPACE}/${claim},`;
  const capacity = String(pv.spec?.capacity?.["storage"] ?? "");
  if (!(quantityBytes(capacity) >= quantityBytes(plan.kafka.storage.capacity)))
    throw new InputError(
      `${what} holds ${capacity || "no capacity"}, less than --kafka-pv-capacity ${plan.kafka.storage.capacity}`,
    );
  if (!(pv.spec?.accessModes ?? []).includes("ReadWriteOnce"))
    throw new InputError(`${what} does not offer ReadWriteOnce`);
  if (pv.status?.phase !== "Available" && pv.status?.phase !== undefined)
    throw new InputError(`${what} is ${pv.status.phase}, not Available`);
  const storageClass = pv.spec?.storageClassName ?? "";
  const asked = plan.kafka.storage.storageClass;
  if (asked !== undefined && asked !== storageClass)
    throw new InputError(`${what} has storage class "${storageClass}", not --kafka-pv-storage-class ${asked}`);
  return { name, storageClass };
}

/** The address in a LoadBalancer Service's status, once the cloud (or the local environment) gave it one. */
export const loadBalancerAddress = (s: V1Service): string | undefined => {
  const ingress = s.status?.loadBalancer?.ingress?.[0];
  return ingress?.ip ?? ingress?.hostname;
};

/** Where NodePort clients connect without an advertised address: a node's external, else internal, address. */
export async function nodeAddress(kc: KubeConfig): Promise<string> {
  const nodes = await kc.makeApiClient(CoreV1Api).listNode();
  for (const type of ["ExternalIP", "InternalIP"]) {
    for (const n of nodes.items) {
      const a = n.status?.addresses?.find((x) => x.type === type)?.address;
      if (a) return a;
    }
  }
  throw new Error("no node of the host has an address: pass --api-server-advertise-address");
}

export const describeObject = (o: KubernetesObject): string =>
  `${(o.kind ?? "").toLowerCase()}/${o.metadata?.name ?? ""}`;
