// Every name the federation derives from other names lives here as a generate/parse pair, so that a topic,
// consumer group, label or DNS name is spelled in exactly one place.
import { isDNS1123Label, isDNS1123Subdomain, DNS1123_SUBDOMAIN_MAX_LENGTH } from "./validation.ts";

// ---------------------------------------------------------------------------------------------------------
// Federation and cluster names
// ---------------------------------------------------------------------------------------------------------

/**
 * A federation name is a DNS-1123 label: it becomes the first label of topic names, consumer groups, the
 * owned-by label value and a DNS label, and must be valid in all of them. Having no '.' also makes every
 * derived name parseable by splitting at the first '.'.
 */
export function validateFederationName(name: string): string[] {
  return isDNS1123Label(name);
}

/**
 * Member cluster names are DNS-1123 labels too (stricter than the subdomain Kubernetes allows for a Cluster
 * object), because they appear in consumer group names, label values and log fields.
 */
export function validateClusterName(name: string): string[] {
  return isDNS1123Label(name);
}

// ---------------------------------------------------------------------------------------------------------
// Kafka topics
// ---------------------------------------------------------------------------------------------------------

export const TopicKind = {
  /** Accepted mutations of desired state; kept forever (the audit history). */
  Objects: "objects",
  /** What members report back: health, per-cluster status, load-balancer addresses, endpoint counts. */
  Status: "status",
  /** Kubernetes Event objects; short retention. */
  Events: "events",
  /** Snapshots of the folded objects state (compacted: the latest snapshot's chunks and its manifest). */
  Snapshots: "snapshots",
} as const;
export type TopicKind = (typeof TopicKind)[keyof typeof TopicKind];

const topicKinds: ReadonlySet<string> = new Set(Object.values(TopicKind));

export const topicName = (federation: string, kind: TopicKind): string => `${federation}.${kind}`;
export const objectsTopic = (federation: string): string => topicName(federation, TopicKind.Objects);
export const statusTopic = (federation: string): string => topicName(federation, TopicKind.Status);
export const eventsTopic = (federation: string): string => topicName(federation, TopicKind.Events);
export const snapshotsTopic = (federation: string): string => topicName(federation, TopicKind.Snapshots);

export interface ParsedTopic {
  readonly federation: string;
  readonly kind: TopicKind;
}

/** The inverse of `topicName`; undefined for a topic that is not one of ours. */
export function parseTopic(topic: string): ParsedTopic | undefined {
  const dot = topic.indexOf(".");
  if (dot < 0) return undefined;
  const federation = topic.slice(0, dot);
  const kind = topic.slice(dot + 1);
  if (!topicKinds.has(kind) || validateFederationName(federation).length > 0) return undefined;
  return { federation, kind: kind as TopicKind };
}

// ---------------------------------------------------------------------------------------------------------
// Consumer groups
// ---------------------------------------------------------------------------------------------------------

export const ConsumerRole = {
  /** `<fed>.propagator.<cluster>`: one group per member; its committed offset is how far that member converged. */
  Propagator: "propagator",
  /**
   * `<fed>.ingest.<replica>`: every ingest replica folds the whole log into its own read model, so replicas must
   * NOT share a group (Kafka would split partitions between them). The replica id (e.g. the pod name) makes the
   * group unique; its committed offset only reports lag, the read model is rebuilt from the log start.
   */
  Ingest: "ingest",
  /** `<fed>.dns-sync`: one logical writer of the DNS zone; a second worker in the group is a hot standby. */
  DnsSync: "dns-sync",
} as const;
export type ConsumerRole = (typeof ConsumerRole)[keyof typeof ConsumerRole];

export const propagatorGroup = (federation: string, cluster: string): string =>
  `${federation}.${ConsumerRole.Propagator}.${cluster}`;
export const ingestGroup = (federation: string, replica: string): string =>
  `${federation}.${ConsumerRole.Ingest}.${replica}`;
export const dnsSyncGroup = (federation: string): string => `${federation}.${ConsumerRole.DnsSync}`;

export type ParsedConsumerGroup =
  | { readonly role: typeof ConsumerRole.Propagator; readonly federation: string; readonly cluster: string }
  | { readonly role: typeof ConsumerRole.Ingest; readonly federation: string; readonly replica: string }
  | { readonly role: typeof ConsumerRole.DnsSync; readonly federation: string };

/** The inverse of the group generators; undefined for a group that is not one of ours. */
export function parseConsumerGroup(group: string): ParsedConsumerGroup | undefined {
  const first = group.indexOf(".");
  if (first < 0) return undefined;
  const federation = group.slice(0, first);
  if (validateFederationName(federation).length > 0) return undefined;
  const rest = group.slice(first + 1);
  if (rest === ConsumerRole.DnsSync) return { role: ConsumerRole.DnsSync, federation };
  const second = rest.indexOf(".");
  if (second < 0) return undefined;
  const role = rest.slice(0, second);
  const member = rest.slice(second + 1);
  if (member.length === 0) return undefined;
  if (role === ConsumerRole.Propagator) return { role, federation, cluster: member };
  if (role === ConsumerRole.Ingest) return { role, federation, replica: member };
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Labels, annotations and field manager on objects in member clusters
// ---------------------------------------------------------------------------------------------------------

/**
 * Marks an object in a member cluster as owned by a federation (value = federation name). The propagator only
 * ever deletes objects carrying it. No separate "origin" label is used: the member object has the same group,
 * kind, namespace and name as its federated object, so the origin is implied by the object itself.
 */
export const OWNED_BY_LABEL = "federation.kubernetes.io/owned-by";

/** The server-side-apply field manager of every write the federation makes in a member cluster. */
export const FIELD_MANAGER = "federation";

export const ownershipLabels = (federation: string): Readonly<Record<string, string>> => ({
  [OWNED_BY_LABEL]: federation,
});

/** The federation that owns an object, from its labels; undefined when the object is not federation-owned. */
export function parseOwnedBy(labels: Readonly<Record<string, string>> | undefined | null): string | undefined {
  const value = labels?.[OWNED_BY_LABEL];
  return value !== undefined && value !== "" ? value : undefined;
}

export const isOwnedBy = (labels: Readonly<Record<string, string>> | undefined | null, federation: string): boolean =>
  parseOwnedBy(labels) === federation;

/** Placement: a JSON list of `{key, operator, values}` over cluster labels. */
export const CLUSTER_SELECTOR_ANNOTATION = "federation.alpha.kubernetes.io/cluster-selector";
/** Replica division preferences for ReplicaSets and Deployments (no annotation = even split). */
export const REPLICA_SET_PREFERENCES_ANNOTATION = "federation.kubernetes.io/replica-set-preferences";
export const DEPLOYMENT_PREFERENCES_ANNOTATION = "federation.kubernetes.io/deployment-preferences";
/** Where the policy-placement admission step finds its policy. */
export const SCHEDULING_POLICY_NAMESPACE = "kube-federation-scheduling-policy";
export const SCHEDULING_POLICY_CONFIGMAP = "scheduling-policy";

// ---------------------------------------------------------------------------------------------------------
// DNS names of a federated Service
// ---------------------------------------------------------------------------------------------------------
//
// Convention: the domain may be given with or without its trailing dot ("example.com" or "example.com.");
// every generated name is ABSOLUTE, i.e. lower case and ending in '.', because that is what zone files, RFC 2136
// updates and CNAME targets need and what `kubefed init --dns-zone-name` requires. Parsers accept either form.

export interface ServiceDnsInput {
  readonly service: string;
  readonly namespace: string;
  readonly federation: string;
  readonly domain: string;
  /** The member's region; without it only the global name exists. */
  readonly region?: string;
  /** The member's zone; only meaningful together with a region. */
  readonly zone?: string;
}

export interface ServiceDnsNames {
  /** `<svc>.<ns>.<fed>.svc.<domain>.` */
  readonly global: string;
  /** `<svc>.<ns>.<fed>.svc.<region>.<domain>.` when a region was given. */
  readonly region?: string;
  /** `<svc>.<ns>.<fed>.svc.<zone>.<region>.<domain>.` when a zone and region were given. */
  readonly zone?: string;
}

/** The label that separates the service part of a name from its location part. */
const SVC_LABEL = "svc";

/** Lower case, no trailing dot: the form used to compose names. */
export function normalizeDomain(domain: string): string {
  return (domain.endsWith(".") ? domain.slice(0, -1) : domain).toLowerCase();
}

/** Returns `name` with exactly one trailing dot (lower-cased), the absolute form. */
export const toAbsoluteDnsName = (name: string): string => `${normalizeDomain(name)}.`;

/** Problems that would make the Service's DNS names invalid; empty when `serviceDnsNames` can be called. */
export function validateServiceDnsInput(input: ServiceDnsInput): string[] {
  const errs: string[] = [];
  const label = (what: string, value: string | undefined): void => {
    if (value === undefined) return;
    for (const m of isDNS1123Label(value.toLowerCase())) errs.push(`${what} ${JSON.stringify(value)}: ${m}`);
  };
  label("service", input.service);
  label("namespace", input.namespace);
  label("federation", input.federation);
  label("region", input.region);
  label("zone", input.zone);
  if (input.zone !== undefined && input.region === undefined) errs.push("zone given without a region");
  const domain = normalizeDomain(input.domain);
  for (const m of isDNS1123Subdomain(domain)) errs.push(`domain ${JSON.stringify(input.domain)}: ${m}`);
  if (errs.length === 0) {
    // The longest name (zone level) must still fit a DNS name: 253 characters without the final dot.
    const longest = composeDns(input, input.zone, input.region, domain);
    if (longest.length > DNS1123_SUBDOMAIN_MAX_LENGTH) {
      errs.push(`DNS name ${longest} is longer than ${DNS1123_SUBDOMAIN_MAX_LENGTH} characters`);
    }
  }
  return errs;
}

function composeDns(input: ServiceDnsInput, zone: string | undefined, region: string | undefined, domain: string) {
  const location = [zone, region].filter((p): p is string => p !== undefined).map((p) => p.toLowerCase());
  return [input.service, input.namespace, input.federation, SVC_LABEL, ...location, domain].join(".");
}

/**
 * The three levels of DNS names of a federated Service. Throws a TypeError listing the problems when the input
 * cannot form valid DNS names: callers validate at the edge with `validateServiceDnsInput`, so reaching the
 * throw is a programming error rather than bad user input.
 */
export function serviceDnsNames(input: ServiceDnsInput): ServiceDnsNames {
  const errs = validateServiceDnsInput(input);
  if (errs.length > 0) throw new TypeError(`invalid Service DNS name input: ${errs.join("; ")}`);
  const domain = normalizeDomain(input.domain);
  const global = `${composeDns(input, undefined, undefined, domain)}.`;
  if (input.region === undefined) return { global };
  const region = `${composeDns(input, undefined, input.region, domain)}.`;
  if (input.zone === undefined) return { global, region };
  return { global, region, zone: `${composeDns(input, input.zone, input.region, domain)}.` };
}

export const DnsLevel = { Global: "global", Region: "region", Zone: "zone" } as const;
export type DnsLevel = (typeof DnsLevel)[keyof typeof DnsLevel];

export interface ParsedServiceDnsName {
  readonly service: string;
  readonly namespace: string;
  readonly federation: string;
  readonly level: DnsLevel;
  readonly region?: string;
  readonly zone?: string;
}

/**
 * The inverse of `serviceDnsNames` for one name under `domain` (both with or without trailing dot, any case);
 * undefined when the name is not a federated Service name under that domain.
 */
export function parseServiceDnsName(name: string, domain: string): ParsedServiceDnsName | undefined {
  const fqdn = normalizeDomain(name);
  const suffix = `.${normalizeDomain(domain)}`;
  if (!fqdn.endsWith(suffix)) return undefined;
  const labels = fqdn.slice(0, -suffix.length).split(".");
  if (labels.some((l) => isDNS1123Label(l).length > 0)) return undefined;
  const [service, namespace, federation, svc, ...location] = labels;
  if (service === undefined || namespace === undefined || federation === undefined || svc !== SVC_LABEL) {
    return undefined;
  }
  const base = { service, namespace, federation };
  if (location.length === 0) return { ...base, level: DnsLevel.Global };
  if (location.length === 1) return { ...base, level: DnsLevel.Region, region: location[0] as string };
  if (location.length === 2) {
    return { ...base, level: DnsLevel.Zone, zone: location[0] as string, region: location[1] as string };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Member clusters: how the federation reaches them
// ---------------------------------------------------------------------------------------------------------

/**
 * The federation's system namespace: in the federation it holds the member credentials Secrets (a Cluster's
 * spec.secretRef names a Secret here); in each member it holds the ServiceAccount the federation acts as.
 */
export const FEDERATION_SYSTEM_NAMESPACE = "kubefed-system";

/** The Secret (in FEDERATION_SYSTEM_NAMESPACE) with a member's credentials: data `token` and `ca.crt`. */
export const clusterSecretName = (cluster: string): string => `${cluster}-credentials`;

/** The key of a credentials Secret naming the member address its token was issued for (and may be sent to). */
export const CREDENTIALS_SERVER_KEY = "server";

/** The ServiceAccount, ClusterRole and ClusterRoleBinding `kubefed join` creates in a member for a federation. */
export const memberServiceAccountName = (federation: string): string => `kubefed-${federation}`;
export const memberClusterRoleName = (federation: string): string => `kubefed:${federation}`;

/** Cluster labels read by placement and DNS (the standard topology labels). */
export const REGION_LABEL = "topology.kubernetes.io/region";
export const ZONE_LABEL = "topology.kubernetes.io/zone";
