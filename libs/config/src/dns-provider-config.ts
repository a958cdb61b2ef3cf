// The coredns provider's config file, in the format of the original federation's --dns-provider-config:
//
//   [Global]
//   etcd-endpoints = http://etcd-0:2379, http://etcd-1:2379
//   zones = example.com.
//
// dns-sync reads the file; this parses its text and names every problem (line, key, what is allowed) at once.
import { httpUrl, list, zoneName } from "./parse.ts";
import { ConfigError, type ConfigProblem } from "./spec.ts";

export interface CorednsProviderFile {
  readonly etcdEndpoints: readonly string[];
  /** The zones CoreDNS serves from etcd, absolute and lowercase. */
  readonly zones: readonly string[];
}

const KEYS = ["etcd-endpoints", "zones"] as const;
/** Keys of the original's file this provider does not act on yet: refused rather than silently ignored. */
const UNSUPPORTED_KEYS = ["etcd-cafile", "etcd-certfile", "etcd-keyfile", "coredns-endpoints"];

/**
 * Parses the file's text; `source` names it in messages (the variable and the path). The federation's zone must be
 * one of `zones` or below one of them, or CoreDNS would not serve what dns-sync writes. Throws ConfigError.
 */
export function parseCorednsProviderConfig(
  textOfFile: string,
  source: string,
  federationZone: string,
): CorednsProviderFile {
  const problems: ConfigProblem[] = [];
  const problem = (message: string) => problems.push({ variable: source, message: `${source}: ${message}` });
  const values = new Map<string, string>();
  let section: string | undefined;
  textOfFile.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    const at = `line ${i + 1}`;
    if (line === "" || line.startsWith("#") || line.startsWith(";")) return;
    const header = /^\[\s*([^\]]+?)\s*\]$/.exec(line);
    if (header) {
      section = header[1]!;
      if (section.toLowerCase() !== "global") problem(`${at}: unknown section [${section}] (only [Global])`);
      return;
    }
    const kv = /^([A-Za-z0-9-]+)\s*=\s*(.*)$/.exec(line);
    if (!kv) return problem(`${at}: expected "key = value", got ${JSON.stringify(line)}`);
    if (section === undefined) return problem(`${at}: ${kv[1]} is outside the [Global] section`);
    const key = kv[1]!.toLowerCase();
    if (UNSUPPORTED_KEYS.includes(key)) return problem(`${at}: ${key} is not supported yet`);
    if (!(KEYS as readonly string[]).includes(key))
      return problem(`${at}: unknown key ${JSON.stringify(kv[1])} (known: ${KEYS.join(", ")})`);
    if (values.has(key)) return problem(`${at}: ${key} is given twice`);
    values.set(key, kv[2]!.trim().replace(/^"(.*)"$/, "$1"));
  });
  const read = <T>(
    key: (typeof KEYS)[number],
    parse: (raw: string) => { ok: true; value: T } | { ok: false; allowed: string },
  ) => {
    const raw = values.get(key);
    if (raw === undefined) {
      problem(`${key} is required`);
      return undefined;
    }
    const parsed = parse(raw);
    if (!parsed.ok) problem(`${key} = ${JSON.stringify(raw)}: ${parsed.allowed}`);
    return parsed.ok ? parsed.value : undefined;
  };
  const etcdEndpoints = read("etcd-endpoints", list(httpUrl, { unique: true }));
  const zones = read("zones", list(zoneName, { unique: true }));
  if (zones && !zones.some((z) => federationZone === z || federationZone.endsWith(`.${z}`)))
    problem(`zones = ${zones.join(", ")} does not include the federation's zone ${federationZone}`);
  if (problems.length > 0 || !etcdEndpoints || !zones) throw new ConfigError("dns-sync", problems);
  return { etcdEndpoints, zones };
}
