// The DNS provider named by the configuration, built from its settings (and, for coredns, its config file).
import { readFileSync } from "node:fs";
import { parseCorednsProviderConfig, type DnsSyncConfig } from "@kubefed/config";
import { ErrorCode, FederationError, toFederationError } from "@kubefed/events";
import type { DnsProvider } from "../provider.ts";
import { CorednsProvider } from "./coredns.ts";
import { Rfc2136Provider } from "./rfc2136.ts";

/** Throws ConfigError (bad config file) or FederationError (unreadable config or TSIG secret file). */
export function createProvider(config: DnsSyncConfig): DnsProvider {
  const p = config.provider;
  switch (p.kind) {
    case "coredns": {
      let text: string;
      try {
        text = readFileSync(p.configFile, "utf8");
      } catch (e) {
        throw new FederationError(
          ErrorCode.Invalid,
          `cannot read the provider config file DNS_SYNC_PROVIDER_CONFIG=${p.configFile}: ${toFederationError(e).message}`,
        );
      }
      const file = parseCorednsProviderConfig(text, `DNS_SYNC_PROVIDER_CONFIG (${p.configFile})`, config.zoneName);
      return new CorednsProvider({ etcdEndpoints: file.etcdEndpoints, prefix: p.etcdPrefix });
    }
    case "rfc2136":
      return Rfc2136Provider.fromConfig({ server: p.server, tsig: p.tsig });
    default: {
      const never: never = p;
      return never;
    }
  }
}
