// What every object init creates shares: its labels and namespace, the restricted security settings of its pods,
// and the generated material the manifests carry.
import { COMPONENT_LABEL, CONTROL_PLANE_LABEL, HOST_NAMESPACE, type HostComponent } from "@kubefed/names";

/** What init generates (keys, certificates, credentials); kept out of the plan so the plan stays printable. */
export interface Material {
  readonly ca: { readonly cert: string; readonly key: string };
  readonly serving: { readonly cert: string; readonly key: string };
  readonly adminToken: string | undefined;
  readonly adminPassword: string | undefined;
  /** AES-256-GCM keyring JSON, @kubefed/events' format. */
  readonly keyring: string;
  /** KRaft cluster id of the embedded Kafka (22 characters of base64url). */
  readonly kafkaClusterId: string;
}

export const labelsOf = (fed: string, component?: HostComponent): Record<string, string> => ({
  "app.kubernetes.io/name": "kubefed",
  "app.kubernetes.io/managed-by": "kubefed",
  [CONTROL_PLANE_LABEL]: fed,
  ...(component ? { [COMPONENT_LABEL]: component } : {}),
});

export const meta = (fed: string, name: string, component?: HostComponent) => ({
  name,
  namespace: HOST_NAMESPACE,
  labels: labelsOf(fed, component),
});

/** Non-root, no privilege escalation, no capabilities, read-only root: what the Dockerfile's image allows. */
export const restrictedContainer = (readOnlyRoot: boolean) => ({
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: readOnlyRoot,
  capabilities: { drop: ["ALL"] },
});
export const restrictedPod = (uid: number) => ({
  runAsNonRoot: true,
  runAsUser: uid,
  runAsGroup: uid,
  fsGroup: uid,
  seccompProfile: { type: "RuntimeDefault" },
});
