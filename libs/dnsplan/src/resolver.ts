/**
 * The short in-cluster name of the original federation, `<svc>.<ns>.<fed>.`, on the member side: the member's
 * cluster DNS (CoreDNS) rewrites it to the Service's zone-level name for that member's zone and region and forwards
 * it to the federation's DNS server. The zone name already falls back by CNAME to the region and then the global
 * name, so the short name resolves to the nearest healthy level without the member knowing anything of health.
 */
import { serviceDnsNames } from "@kubefed/names";

export interface ResolverSite {
  readonly federation: string;
  /** The federation's DNS zone, absolute. */
  readonly zone: string;
  /** The member's region and zone; without them the short name goes to the region or the global name. */
  readonly region: string | null;
  readonly memberZone: string | null;
  /** Where the federation's DNS zone is served: host:port of its authoritative server (or a resolver that has it). */
  readonly server: string;
}

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The suffix the short name is rewritten to: `<fed>.svc[.<zone>.<region>].<domain>.` */
export function shortNameTarget(site: Omit<ResolverSite, "server">): string {
  // Composed with a placeholder Service to reuse the one spelling of the names (libs/names).
  const names = serviceDnsNames({
    service: "x",
    namespace: "x",
    federation: site.federation,
    domain: site.zone,
    ...(site.region !== null ? { region: site.region } : {}),
    ...(site.region !== null && site.memberZone !== null ? { zone: site.memberZone } : {}),
  });
  return (names.zone ?? names.region ?? names.global).slice("x.x.".length);
}

/**
 * A CoreDNS server block for the member's cluster DNS (add it to the member's Corefile, e.g. the `coredns`
 * ConfigMap of kube-system). `listen` is the block's port suffix (":53" in a cluster; another port for tests).
 */
export function corednsStanza(site: ResolverSite, listen = ":53"): string {
  const fed = site.federation.toLowerCase();
  const target = shortNameTarget(site);
  return [
    `# The federation's short Service names: <service>.<namespace>.${fed}.`,
    `${fed}.${listen} {`,
    `    rewrite stop {`,
    `        name regex ^([a-z0-9-]+)\\.([a-z0-9-]+)\\.${escapeRegex(fed)}\\.$ {1}.{2}.${target}`,
    `        answer auto`,
    `    }`,
    `    forward . ${site.server}`,
    `    cache 30`,
    `    errors`,
    `}`,
    ``,
  ].join("\n");
}
