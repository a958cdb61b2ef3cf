/**
 * `kubefed dns resolver-config MEMBER`: the server block to add to a member cluster's CoreDNS so that its pods
 * resolve the federation's short names (`<service>.<namespace>.<federation>.`) to the nearest healthy level. The
 * member's region and zone are read from its Cluster in the federation (the labels `kubefed join` set).
 */
import { CustomObjectsApi } from "@kubernetes/client-node";
import { corednsStanza } from "@kubefed/dnsplan";
import { REGION_LABEL, ZONE_LABEL, isDNS1123Label } from "@kubefed/names";
import { CLUSTER_API, forContext, loadKubeConfig, oneLine, statusCode } from "./members.ts";

export interface ResolverConfigOptions {
  name: string;
  hostClusterContext: string;
  kubeconfig?: string;
  federationName: string;
  dnsZoneName: string;
  /** host:port of the DNS server with the federation's zone. */
  dnsServer: string;
  /** The server block's port suffix, ":53" in a cluster. */
  listen: string;
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/;

export async function resolverConfig(o: ResolverConfigOptions): Promise<string> {
  if (isDNS1123Label(o.name).length > 0)
    throw new Error(`invalid member name "${o.name}": ${isDNS1123Label(o.name)[0]}`);
  const fedErrs = isDNS1123Label(o.federationName);
  if (fedErrs.length > 0) throw new Error(`invalid --federation-name "${o.federationName}": ${fedErrs[0]}`);
  if (!/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+$/i.test(o.dnsZoneName))
    throw new Error(
      `--dns-zone-name "${o.dnsZoneName}" must be a fully qualified DNS name ending with '.', e.g. example.com.`,
    );
  if (!HOST_PORT.test(o.dnsServer)) throw new Error(`--dns-server "${o.dnsServer}" must be host or host:port`);
  if (!/^(\S*:\d{1,5})$/.test(o.listen)) throw new Error(`--listen "${o.listen}" must be [address]:port, e.g. :53`);
  const kc = forContext(loadKubeConfig(o.kubeconfig), o.hostClusterContext, "--host-cluster-context");
  const api = kc.makeApiClient(CustomObjectsApi);
  const cluster = (await api.getClusterCustomObject({ ...CLUSTER_API, name: o.name }).catch((err: unknown) => {
    if (statusCode(err) === 404) throw new Error(`cluster ${o.name} is not joined to the federation`);
    throw new Error(`cannot read cluster ${o.name} from the federation: ${oneLine(err)}`);
  })) as { metadata?: { labels?: Record<string, string> }; status?: { region?: string; zones?: string[] } };
  const labels = cluster.metadata?.labels ?? {};
  const region = labels[REGION_LABEL] ?? cluster.status?.region ?? null;
  const zones = cluster.status?.zones ?? [];
  const zone = labels[ZONE_LABEL] ?? (zones.length === 1 ? zones[0]! : null);
  return corednsStanza(
    {
      federation: o.federationName,
      zone: o.dnsZoneName.toLowerCase(),
      region: region?.toLowerCase() ?? null,
      memberZone: zone?.toLowerCase() ?? null,
      server: o.dnsServer,
    },
    o.listen,
  );
}
