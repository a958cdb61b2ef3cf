// Machine-readable view of every service's variables, for deployment files, their tests and the local
// environment: which names exist, their defaults, which are ports to publish and which are files to mount.
import { loadService, SERVICES, type ServiceDefinition, type ServiceName } from "./common.ts";
import { dnsSyncDefinition, type DnsSyncConfig, type DnsSyncSettings } from "./dns-sync.ts";
import { ingestDefinition, type IngestConfig, type IngestSettings } from "./ingest.ts";
import { propagatorDefinition, type PropagatorConfig, type PropagatorSettings } from "./propagator.ts";
import { closestName, flagName, type Env, type Overrides, type Variable } from "./spec.ts";

export interface ConfigByService {
  readonly ingest: IngestConfig;
  readonly propagator: PropagatorConfig;
  readonly "dns-sync": DnsSyncConfig;
}

export interface OverridesByService {
  readonly ingest: Overrides<IngestSettings>;
  readonly propagator: Overrides<PropagatorSettings>;
  readonly "dns-sync": Overrides<DnsSyncSettings>;
}

export interface VariableDescription {
  /** Environment variable name. */
  readonly name: string;
  /** Key of the overrides object. */
  readonly key: string;
  /** Suggested command-line flag for the same setting. */
  readonly flag: string;
  /** Default as text; undefined when there is none. */
  readonly default: string | undefined;
  /** Must be set: no default makes sense (conditional requirements are in the description). */
  readonly required: boolean;
  /** A port the service listens on. */
  readonly port: boolean;
  /** A path to a file the service reads. */
  readonly file: boolean;
  readonly description: string;
}

// Widened once here so generic code can walk any service's table; each definition keeps its precise type.
type AnyDefinition = ServiceDefinition<Record<string, unknown>, unknown>;
const DEFINITIONS: Readonly<Record<ServiceName, AnyDefinition>> = {
  ingest: ingestDefinition as unknown as AnyDefinition,
  propagator: propagatorDefinition as unknown as AnyDefinition,
  "dns-sync": dnsSyncDefinition as unknown as AnyDefinition,
};

const describe = (def: AnyDefinition): readonly VariableDescription[] =>
  Object.entries<Variable<unknown>>(def.variables).map(([key, v]) => ({
    name: v.env,
    key,
    flag: flagName(key),
    default: v.default,
    required: v.required ?? false,
    port: v.port ?? false,
    file: v.file ?? false,
    description: v.description,
  }));

/** Every service's variables, in declaration order (common ones first). */
export const CONFIG_DESCRIPTION: Readonly<Record<ServiceName, readonly VariableDescription[]>> = Object.fromEntries(
  SERVICES.map((service) => [service, describe(DEFINITIONS[service])]),
) as Record<ServiceName, readonly VariableDescription[]>;

export const describeConfig = (service: ServiceName): readonly VariableDescription[] => CONFIG_DESCRIPTION[service];

/** Loads any service's configuration by name; throws ConfigError listing every problem. */
export function loadConfig<S extends ServiceName>(
  service: S,
  env: Env,
  overrides: OverridesByService[S] = {},
): ConfigByService[S] {
  return loadService(DEFINITIONS[service], env, overrides as Overrides<Record<string, unknown>>)
    .config as ConfigByService[S];
}

/**
 * The ports a service listens on with this environment, keyed by the variable that sets each.
 * Validates the whole configuration first (throws ConfigError), so a port is never read from a broken setup.
 */
export function listenPorts<S extends ServiceName>(
  service: S,
  env: Env,
  overrides: OverridesByService[S] = {},
): Readonly<Record<string, number>> {
  const def = DEFINITIONS[service];
  const { settings } = loadService(def, env, overrides as Overrides<Record<string, unknown>>);
  const ports: Record<string, number> = {};
  for (const d of CONFIG_DESCRIPTION[service]) if (d.port) ports[d.name] = settings[d.key] as number;
  return ports;
}

/** The known variable of `service` closest to a misspelt `name`, if any is close. */
export const suggestVariable = (service: ServiceName, name: string): string | undefined =>
  closestName(
    name,
    CONFIG_DESCRIPTION[service].map((d) => d.name),
  );
