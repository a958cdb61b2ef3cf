// `--apiserver-arg-overrides "--anonymous-auth=false,--v=4"`: the original passed these to kube-apiserver; here
// each one names a setting of the ingest (libs/config's ingest table, by its flag) and becomes an argument of
// the ingest's container. What init itself sets (Kafka, TLS, auth files, ports) and file paths the container
// could not have are refused, as is any name the ingest does not know.
import { CONFIG_DESCRIPTION } from "@kubefed/config";
import { InputError } from "../output.ts";

const FLAG = "--apiserver-arg-overrides";

/** Settings of the ingest that init sets from its own flags, with the flag to use instead. */
const MANAGED: Readonly<Record<string, string>> = {
  federationName: "the federation's NAME",
  kafkaBrokers: "--kafka-brokers",
  kafkaClientId: "kubefed init",
  objectsTopicPartitions: "kubefed init",
  bindAddress: "kubefed init",
  securePort: "kubefed init (the Service maps port 443 to it)",
  tlsCertFile: "kubefed init (it generates the serving certificate)",
  tlsKeyFile: "kubefed init (it generates the serving certificate)",
  tokenAuthFile: "--apiserver-enable-token-auth",
  basicAuthFile: "--apiserver-enable-basic-auth",
  secretsKeyFile: "kubefed init (it generates the keyring)",
};

/** kube-apiserver's --v (klog verbosity) in the ingest's log levels: 0-3 info, 4-5 debug, 6 and up trace. */
function verbosity(value: string): string {
  if (!/^\d+$/.test(value)) throw new InputError(`${FLAG}: --v=${value}: must be a non-negative integer`);
  const v = Number(value);
  return v >= 6 ? "trace" : v >= 4 ? "debug" : "info";
}

export interface ArgOverrides {
  /** Settings keys of the ingest with their text, as libs/config's loader takes overrides. */
  readonly settings: Readonly<Record<string, string>>;
  /** The ingest container's arguments, in the order given (`--log-level=debug`). */
  readonly args: readonly string[];
}

/** Parses the override list; throws InputError naming the first entry that cannot apply. */
export function parseArgOverrides(text: string | undefined): ArgOverrides {
  const settings: Record<string, string> = {};
  if (text === undefined || text.trim() === "") return { settings, args: [] };
  const byFlag = new Map(CONFIG_DESCRIPTION.ingest.map((v) => [v.flag, v]));
  // Split only before "--" so that a value may hold commas.
  for (const raw of text.split(/,(?=\s*--)/)) {
    const entry = raw.trim();
    const m = /^(--[a-z][a-z0-9-]*)(?:=(.*))?$/.exec(entry);
    if (!m) throw new InputError(`${FLAG}: "${entry}" is not of the form --name=value`);
    const name = m[1] ?? "";
    const value = m[2] ?? "true";
    if (name === "--v") {
      settings["logLevel"] = verbosity(value);
      continue;
    }
    const v = byFlag.get(name);
    if (!v) {
      const known = CONFIG_DESCRIPTION.ingest.filter((d) => !(d.key in MANAGED) && !d.file).map((d) => d.flag);
      throw new InputError(`${FLAG}: ${name} is not an option of the federation API (known: --v, ${known.join(", ")})`);
    }
    const managed = MANAGED[v.key];
    if (managed !== undefined) throw new InputError(`${FLAG}: ${name} is set by ${managed}`);
    if (v.file) throw new InputError(`${FLAG}: ${name} names a file, which the ingest's container does not have`);
    settings[v.key] = value;
  }
  const flagOf = new Map(CONFIG_DESCRIPTION.ingest.map((v) => [v.key, v.flag]));
  return { settings, args: Object.entries(settings).map(([key, value]) => `${flagOf.get(key)}=${value}`) };
}
