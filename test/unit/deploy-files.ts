// Readers for the deployment files (docker-compose.yml, Dockerfile) that turn them into plain data
// for compose.test.ts. They take text, not paths, so the test can also feed them deliberately drifted copies.
import { parse as parseYaml } from "yaml";

export interface PublishedPort {
  readonly hostIp: string | undefined;
  readonly published: number | undefined;
  readonly target: number;
  readonly protocol: string;
  readonly text: string;
}

export interface ComposeService {
  readonly name: string;
  /** Values as strings; null means "taken from the host environment" (VAR with no value). */
  readonly environment: Readonly<Record<string, string | null>>;
  /** Raw values whose YAML type is not a string (compose turns numbers into text but refuses booleans). */
  readonly nonStringValues: readonly string[];
  readonly ports: readonly PublishedPort[];
  readonly volumes: readonly { readonly source: string; readonly target: string }[];
  readonly command: readonly string[];
  readonly build:
    { readonly context: string; readonly dockerfile: string; readonly target: string | undefined } | undefined;
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

function environmentOf(raw: unknown): { environment: Record<string, string | null>; nonStringValues: string[] } {
  const environment: Record<string, string | null> = {};
  const nonStringValues: string[] = [];
  if (Array.isArray(raw)) {
    for (const item of raw) {
      const [name = "", ...rest] = String(item).split("=");
      environment[name] = rest.length === 0 ? null : rest.join("=");
    }
  } else if (isRecord(raw)) {
    for (const [name, value] of Object.entries(raw)) {
      if (value !== null && typeof value !== "string") nonStringValues.push(`${name}: ${JSON.stringify(value)}`);
      environment[name] = value === null ? null : String(value);
    }
  }
  return { environment, nonStringValues };
}

// Short syntax: [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]; IPv6 host IPs in brackets.
export function parsePort(raw: unknown): PublishedPort {
  if (isRecord(raw)) {
    return {
      hostIp: raw["host_ip"] === undefined ? undefined : String(raw["host_ip"]),
      published: raw["published"] === undefined ? undefined : Number(raw["published"]),
      target: Number(raw["target"]),
      protocol: String(raw["protocol"] ?? "tcp"),
      text: JSON.stringify(raw),
    };
  }
  const text = String(raw);
  const match = /^(?:(\[[^\]]+\]|[^:]+):)??(?:(\d+):)?(\d+)(?:\/(tcp|udp))?$/.exec(text);
  if (!match) return { hostIp: undefined, published: undefined, target: Number.NaN, protocol: "tcp", text };
  return {
    hostIp: match[1],
    published: match[2] === undefined ? undefined : Number(match[2]),
    target: Number(match[3]),
    protocol: match[4] ?? "tcp",
    text,
  };
}

function volumesOf(raw: unknown): { source: string; target: string }[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((v) => {
    if (isRecord(v)) return { source: String(v["source"] ?? ""), target: String(v["target"] ?? "") };
    const [source = "", target = ""] = String(v).split(":");
    return { source, target };
  });
}

const commandOf = (raw: unknown): string[] =>
  Array.isArray(raw) ? raw.map(String) : typeof raw === "string" ? raw.split(/\s+/).filter(Boolean) : [];

function buildOf(raw: unknown): ComposeService["build"] {
  if (typeof raw === "string") return { context: raw, dockerfile: "Dockerfile", target: undefined };
  if (!isRecord(raw)) return undefined;
  return {
    context: String(raw["context"] ?? "."),
    dockerfile: String(raw["dockerfile"] ?? "Dockerfile"),
    target: raw["target"] === undefined ? undefined : String(raw["target"]),
  };
}

export function parseCompose(text: string): ReadonlyMap<string, ComposeService> {
  const doc: unknown = parseYaml(text);
  const services = isRecord(doc) ? doc["services"] : undefined;
  if (!isRecord(services)) throw new Error("docker-compose.yml has no `services:` mapping");
  const result = new Map<string, ComposeService>();
  for (const [name, raw] of Object.entries(services)) {
    const s = isRecord(raw) ? raw : {};
    result.set(name, {
      name,
      ...environmentOf(s["environment"]),
      ports: Array.isArray(s["ports"]) ? s["ports"].map(parsePort) : [],
      volumes: volumesOf(s["volumes"]),
      command: commandOf(s["command"]),
      build: buildOf(s["build"]),
    });
  }
  return result;
}

export interface DockerStage {
  readonly name: string;
  readonly from: string;
  readonly expose: readonly { readonly port: number; readonly protocol: string }[];
  readonly cmd: readonly string[] | undefined;
  readonly run: readonly string[];
  /** The stage's last USER; undefined: root. */
  readonly user: string | undefined;
}

/** Stages of a Dockerfile with their EXPOSE, CMD (exec form) and RUN lines; continuation lines are joined. */
export function parseDockerfile(text: string): readonly DockerStage[] {
  const instructions = text
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  const stages: {
    name: string;
    from: string;
    expose: { port: number; protocol: string }[];
    cmd: string[] | undefined;
    run: string[];
    user: string | undefined;
  }[] = [];
  for (const line of instructions) {
    const [keyword = "", ...args] = line.split(/\s+/);
    const rest = line.slice(keyword.length).trim();
    const stage = stages.at(-1);
    switch (keyword.toUpperCase()) {
      case "FROM": {
        const as = args.findIndex((a) => a.toUpperCase() === "AS");
        stages.push({
          name: as >= 0 ? (args[as + 1] ?? "") : String(stages.length),
          from: args.find((a) => !a.startsWith("--")) ?? "",
          expose: [],
          cmd: undefined,
          run: [],
          user: undefined,
        });
        break;
      }
      case "EXPOSE":
        for (const a of args) {
          const [port = "", protocol = "tcp"] = a.split("/");
          stage?.expose.push({ port: Number(port), protocol });
        }
        break;
      case "CMD":
        if (stage) stage.cmd = rest.startsWith("[") ? (JSON.parse(rest) as string[]) : ["/bin/sh", "-c", rest];
        break;
      case "RUN":
        stage?.run.push(rest);
        break;
      case "USER":
        if (stage) stage.user = rest.split(":")[0];
        break;
      default:
        break;
    }
  }
  return stages;
}
