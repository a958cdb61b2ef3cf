// The embedded Kafka of a hosted control plane: one KRaft node (broker and controller) as a StatefulSet of one,
// its data on the claim `<name>-federation-kafka-claim` (or an emptyDir), reached through a headless Service.
// With --kafka-brokers none of this is created and the services use the given brokers.
import type { KubernetesObject } from "@kubernetes/client-node";
import { COMPONENT_LABEL, CONTROL_PLANE_LABEL, HOST_NAMESPACE, HostComponent, type HostedNames } from "@kubefed/names";
import { labelsOf, meta, restrictedContainer, restrictedPod, type Material } from "./objects.ts";
import type { ReservedVolume } from "./manifests.ts";
import type { InitPlan } from "./options.ts";

const CLIENT_PORT = 9092;
const CONTROLLER_PORT = 9093;
const DATA_DIR = "/var/lib/kafka/data";
/** The apache/kafka image's `appuser`. */
const KAFKA_UID = 1000;

/** The stable name of the one broker's pod: `<sts>-0.<headless service>.<namespace>.svc`. */
const brokerHost = (n: HostedNames): string => `${n.kafka}-0.${n.kafka}.${HOST_NAMESPACE}.svc`;

/** KAFKA_BROKERS of the services: the embedded broker's stable address, or what --kafka-brokers gave. */
export const kafkaBrokersOf = (plan: InitPlan, n: HostedNames): string =>
  plan.kafka.kind === "external" ? plan.kafka.brokers : `${brokerHost(n)}:${CLIENT_PORT}`;

/** The embedded Kafka's claim; a reserved PV is named in it, with the PV's storage class, so the two bind. */
export function kafkaClaim(plan: InitPlan, n: HostedNames, volume?: ReservedVolume): KubernetesObject | undefined {
  if (plan.kafka.kind !== "embedded" || plan.kafka.storage === undefined) return undefined;
  const storageClass = volume?.storageClass ?? plan.kafka.storage.storageClass;
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: meta(plan.name, n.kafkaClaim, HostComponent.Kafka),
    spec: {
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: plan.kafka.storage.capacity } },
      ...(storageClass !== undefined ? { storageClassName: storageClass } : {}),
      ...(volume ? { volumeName: volume.name } : {}),
    },
  } as KubernetesObject;
}

export function kafkaManifests(
  plan: InitPlan,
  n: HostedNames,
  m: Material,
  volume?: ReservedVolume,
): KubernetesObject[] {
  if (plan.kafka.kind !== "embedded") return [];
  const fed = plan.name;
  const selector = { [CONTROL_PLANE_LABEL]: fed, [COMPONENT_LABEL]: HostComponent.Kafka };
  const claim = kafkaClaim(plan, n, volume);
  const env: Record<string, string> = {
    CLUSTER_ID: m.kafkaClusterId,
    KAFKA_NODE_ID: "1",
    KAFKA_PROCESS_ROLES: "broker,controller",
    KAFKA_CONTROLLER_QUORUM_VOTERS: `1@localhost:${CONTROLLER_PORT}`,
    KAFKA_CONTROLLER_LISTENER_NAMES: "CONTROLLER",
    KAFKA_LISTENERS: `PLAINTEXT://:${CLIENT_PORT},CONTROLLER://localhost:${CONTROLLER_PORT}`,
    KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://${brokerHost(n)}:${CLIENT_PORT}`,
    KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    KAFKA_INTER_BROKER_LISTENER_NAME: "PLAINTEXT",
    KAFKA_LOG_DIRS: DATA_DIR,
    KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: "1",
    KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: "1",
    KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: "1",
    KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: "0",
    // The services create their topics with explicit partitions and retention; a typo must not create one.
    KAFKA_AUTO_CREATE_TOPICS_ENABLE: "false",
  };
  return [
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: meta(fed, n.kafka, HostComponent.Kafka),
      automountServiceAccountToken: false,
    } as KubernetesObject,
    ...(claim ? [claim] : []),
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: meta(fed, n.kafka, HostComponent.Kafka),
      spec: {
        clusterIP: "None",
        selector,
        ports: [{ name: "kafka", port: CLIENT_PORT, targetPort: "kafka" }],
        // The broker's pod name must resolve while it starts, before it is ready.
        publishNotReadyAddresses: true,
      },
    } as KubernetesObject,
    {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: meta(fed, n.kafka, HostComponent.Kafka),
      spec: {
        serviceName: n.kafka,
        replicas: 1,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: labelsOf(fed, HostComponent.Kafka) },
          spec: {
            serviceAccountName: n.kafka,
            automountServiceAccountToken: false,
            securityContext: restrictedPod(KAFKA_UID),
            containers: [
              {
                name: "kafka",
                image: plan.kafka.image,
                env: Object.entries(env).map(([name, value]) => ({ name, value })),
                ports: [{ name: "kafka", containerPort: CLIENT_PORT }],
                readinessProbe: { tcpSocket: { port: "kafka" }, periodSeconds: 5 },
                resources: { requests: { cpu: "250m", memory: "1Gi" } },
                // The image's entry point writes its configuration under /opt/kafka: the root stays writable.
                securityContext: restrictedContainer(false),
                volumeMounts: [{ name: "data", mountPath: DATA_DIR }],
              },
            ],
            volumes: [
              claim
                ? { name: "data", persistentVolumeClaim: { claimName: n.kafkaClaim } }
                : { name: "data", emptyDir: {} },
            ],
          },
        },
      },
    } as KubernetesObject,
  ];
}
