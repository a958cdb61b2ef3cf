// Names of what `kubefed init` creates in a host cluster, so that init, delete and their tests spell them once.

/** The namespace of the host cluster that holds every hosted control plane (the original's). */
export const HOST_NAMESPACE = "federation-system";

/** On every object init creates: its value is the federation's name, so delete finds them all by selector. */
export const CONTROL_PLANE_LABEL = "federation.kubernetes.io/control-plane";
/** Which part of the control plane an object belongs to (apiserver, propagator, dns-sync, kafka). */
export const COMPONENT_LABEL = "federation.kubernetes.io/component";

/** On the NodePort Service of the federation API: the address clients reach it at (--api-server-advertise-address). */
export const ADVERTISE_ADDRESS_ANNOTATION = "federation.kubernetes.io/api-server-advertise-address";

/**
 * The longest federation name init accepts: `<name>-apiserver` must stay a DNS-1035 label (Service name) and the
 * Kafka StatefulSet's pods `<name>-kafka-0` a label with room for the controller's hash suffix.
 */
export const HOSTED_FEDERATION_NAME_MAX = 40;

export const HostComponent = {
  Apiserver: "apiserver",
  Propagator: "propagator",
  DnsSync: "dns-sync",
  Kafka: "kafka",
} as const;
export type HostComponent = (typeof HostComponent)[keyof typeof HostComponent];

export const hostedNames = (federation: string) =>
  ({
    apiserver: `${federation}-apiserver`,
    propagator: `${federation}-propagator`,
    dnsSync: `${federation}-dns-sync`,
    kafka: `${federation}-kafka`,
    /** The embedded Kafka's volume claim; a pre-created PV whose claimRef names it is bound to it. */
    kafkaClaim: `${federation}-federation-kafka-claim`,
    ca: `${federation}-ca`,
    serving: `${federation}-apiserver-serving`,
    tokenAuth: `${federation}-apiserver-token-auth`,
    basicAuth: `${federation}-apiserver-basic-auth`,
    keyring: `${federation}-secrets-keyring`,
    dnsProviderConfig: `${federation}-dns-provider-config`,
  }) as const;
export type HostedNames = ReturnType<typeof hostedNames>;
