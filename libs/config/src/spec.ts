// The table-driven loader shared by all services: a service declares its variables once (name, default, parser,
// whether it is a port or a file path) and the same table drives loading, error messages and describeConfig().
import type { Parser } from "./parse.ts";

/** Environment as handed in by the caller (process.env has this shape); the library never reads process.env. */
export type Env = Readonly<Record<string, string | undefined>>;

/** What a CLI flag may carry: commander yields strings unless given a parser; undefined means "flag not given". */
export type OverrideValue = string | number | boolean | readonly string[] | undefined;

export interface Variable<T> {
  /** Environment variable name. */
  readonly env: string;
  readonly description: string;
  /** Default as the text an operator would write; absent = no default. */
  readonly default?: string;
  /** Must be set (environment or override) because no default makes sense. */
  readonly required?: boolean;
  /** A port this service listens on (deployment files must publish it). */
  readonly port?: boolean;
  /** A path to a file the service reads (deployment files must mount it). */
  readonly file?: boolean;
  readonly parse: Parser<T>;
}

/** One variable per settings key; the settings interface fixes each parser's type. */
export type Variables<S> = { readonly [K in keyof S]-?: Variable<NonNullable<S[K]>> };

export type Overrides<S> = { readonly [K in keyof S]?: OverrideValue };

export interface ConfigProblem {
  /** The environment variable the problem is about (also for problems found through an override). */
  readonly variable: string;
  readonly message: string;
}

/**
 * Every problem found while loading one service's configuration. Shaped like the project's error base
 * (code, retryable) so it can join it: a wrong configuration never heals by retrying.
 */
export class ConfigError extends Error {
  readonly code = "InvalidConfiguration";
  readonly retryable = false;
  constructor(
    readonly service: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    const noun = problems.length === 1 ? "problem" : "problems";
    super(
      `Invalid ${service} configuration (${problems.length} ${noun}):\n` +
        problems.map((p) => `  - ${p.message}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

export interface Resolution<S> {
  /** Values that parsed; a key whose text was invalid (or that is unset without default) is absent. */
  readonly values: Partial<S>;
  /** Keys given by the environment or an override rather than by their default. */
  readonly explicit: ReadonlySet<keyof S>;
  readonly problems: ConfigProblem[];
  /** How to name a key in a message: the env var, or the flag and the env var it overrides. */
  readonly label: (key: keyof S) => string;
  /** The environment variable behind a key. */
  readonly name: (key: keyof S) => string;
}

export const flagName = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

const overrideText = (value: Exclude<OverrideValue, undefined>): string =>
  Array.isArray(value) ? value.join(",") : String(value);

const quote = (s: string): string => JSON.stringify(s.length > 200 ? `${s.slice(0, 200)}…` : s);

export function resolve<S>(variables: Variables<S>, env: Env, overrides: Overrides<S>): Resolution<S> {
  const values: Partial<S> = {};
  const explicit = new Set<keyof S>();
  const fromOverride = new Set<keyof S>();
  const problems: ConfigProblem[] = [];
  const keys = Object.keys(variables) as (keyof S & string)[];

  const label = (key: keyof S): string => {
    const v = variables[key];
    return fromOverride.has(key) ? `${flagName(String(key))} (overrides ${v.env})` : v.env;
  };

  for (const key of keys) {
    const v = variables[key];
    const override = overrides[key];
    // Empty strings count as unset: compose and shells produce FOO= for "not configured".
    const envText = env[v.env] === "" ? undefined : env[v.env];
    let raw: string | undefined;
    if (override !== undefined) {
      raw = overrideText(override);
      fromOverride.add(key);
      explicit.add(key);
    } else if (envText !== undefined) {
      raw = envText.trim();
      explicit.add(key);
    } else {
      raw = v.default;
    }
    if (raw === undefined) {
      if (v.required) problems.push({ variable: v.env, message: `${v.env} is required: ${v.description}` });
      continue;
    }
    const parsed = v.parse(raw);
    if (parsed.ok) values[key] = parsed.value as S[keyof S & string];
    else {
      const where = fromOverride.has(key)
        ? `${flagName(key)}=${quote(raw)} (overrides ${v.env})`
        : `${v.env}=${quote(raw)}`;
      problems.push({ variable: v.env, message: `${where}: ${parsed.allowed}` });
    }
  }
  return { values, explicit, problems, label, name: (key) => variables[key].env };
}

/** Edit distance, to suggest the intended name for a misspelt variable. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

export function closestName(name: string, known: readonly string[]): string | undefined {
  // A truncated name (DNS_SYNC_ZONE for DNS_SYNC_ZONE_NAME) is far in edit distance but obvious to a reader.
  const extensions = known.filter((k) => k.startsWith(name)).sort((a, b) => a.length - b.length);
  if (extensions[0] !== undefined) return extensions[0];
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (!best || distance < best.distance) best = { name: candidate, distance };
  }
  // Beyond a third of the name the "suggestion" is noise rather than help.
  return best && best.distance <= Math.max(2, Math.floor(name.length / 3)) ? best.name : undefined;
}

/**
 * Variables carrying this service's own prefix that it does not know: a misspelt INGEST_SECURE_PROT would
 * otherwise silently leave the default in force.
 */
export function unknownPrefixed(prefix: string, known: readonly string[], env: Env): ConfigProblem[] {
  return Object.keys(env)
    .filter((name) => name.startsWith(prefix) && !known.includes(name))
    .sort()
    .map((name) => {
      const suggestion = closestName(name, known);
      const hint = suggestion
        ? `did you mean ${suggestion}?`
        : `known: ${known.filter((k) => k.startsWith(prefix)).join(", ")}`;
      return { variable: name, message: `${name} is not a setting of this service (${hint})` };
    });
}
