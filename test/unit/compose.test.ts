// docker-compose.yml and the Dockerfile cannot run here (no container engine), so this test holds them to
// libs/config and to the tree instead: variable names, required settings, ports, addresses, entry points. Each check returns
// the list of drifts in words; the test expects that list to be empty, so a failure says what to fix.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  SERVICES,
  describeConfig,
  listenPorts,
  loadConfig,
  suggestVariable,
  type ServiceName,
} from "@kubefed/config";
import { entryPoint } from "@kubefed/cli";
import { parseCompose, parseDockerfile, type ComposeService, type DockerStage } from "./deploy-files.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const read = (path: string): string => readFileSync(`${ROOT}${path}`, "utf8");
const sourceOf = (service: string): string => `services/${service}/src/main.ts`;
// libs/config may describe a service before it exists; only services with code ship.
const SHIPPED = SERVICES.filter((s) => existsSync(`${ROOT}${sourceOf(s)}`));
/** The one image's stage, its build step, and the command that runs a service (`kubefed init`'s too). */
const RUNTIME = "runtime";
const BUILD = "node scripts/build-services.mjs";
const commandOf = (service: ServiceName): string[] => ["node", entryPoint(service)];

interface Deployment {
  readonly compose: ReadonlyMap<string, ComposeService>;
  readonly stages: readonly DockerStage[];
  readonly exists: (repoPath: string) => boolean;
}

const deployment = (composeText = read("docker-compose.yml"), dockerfileText = read("Dockerfile")): Deployment => ({
  compose: parseCompose(composeText),
  stages: parseDockerfile(dockerfileText),
  exists: (path) => existsSync(`${ROOT}${path.replace(/^\.\//, "")}`),
});

const BACKING = ["kafka", "etcd", "coredns"] as const;

// Only complete string values can be loaded; missing or null ones are reported by their own checks.
const envOf = (s: ComposeService): Record<string, string> =>
  Object.fromEntries(Object.entries(s.environment).filter((e): e is [string, string] => e[1] !== null));

const sameSet = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);

/** Loads a service's config from its compose env, turning a ConfigError into drift messages. */
function tryLoad<S extends ServiceName>(d: Deployment, service: S, drift: string[]) {
  const s = d.compose.get(service);
  if (!s) return undefined;
  try {
    return { config: loadConfig(service, envOf(s)), ports: listenPorts(service, envOf(s)) };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    drift.push(...error.problems.map((p) => `${service}: ${p.message}`));
    return undefined;
  }
}

function checkServicesExist(d: Deployment): string[] {
  const missing = [...BACKING, ...SHIPPED]
    .filter((name) => !d.compose.has(name))
    .map((name) => `service "${name}" is missing`);
  const extra = [...d.compose.keys()].filter(
    (name) => !(BACKING as readonly string[]).includes(name) && !(SHIPPED as readonly string[]).includes(name),
  );
  return [
    ...missing,
    ...extra.map(
      (name) => `service "${name}" is neither a backing service nor one of ours with code (${SHIPPED.join(", ")})`,
    ),
  ];
}

function checkVariables(d: Deployment): string[] {
  const drift: string[] = [];
  for (const service of SHIPPED) {
    const s = d.compose.get(service);
    if (!s) continue;
    const known = describeConfig(service);
    for (const name of Object.keys(s.environment)) {
      if (known.some((v) => v.name === name)) continue;
      const hint = suggestVariable(service, name);
      drift.push(
        `${service}: ${name} is not a variable of libs/config's ${service} config${hint ? ` (did you mean ${hint}?)` : ""}`,
      );
    }
    for (const v of known) {
      const value = s.environment[v.name];
      // A loopback default is right on a developer's machine and wrong inside a container.
      const mustSet = v.required || /\b(127\.0\.0\.1|localhost)\b/.test(v.default ?? "");
      if (mustSet && (value === undefined || value === null))
        drift.push(
          `${service}: ${v.name} must be set${v.required ? " (required)" : ` (its default ${v.default} is the container itself)`}`,
        );
    }
    for (const [name, value] of Object.entries(s.environment))
      if (value === null) drift.push(`${service}: ${name} has no value, so it would come from the host environment`);
    for (const raw of s.nonStringValues)
      drift.push(`${service}: quote the value of ${raw}; compose refuses unquoted booleans`);
    tryLoad(d, service, drift);
  }
  return drift;
}

function checkPublishedPorts(d: Deployment): string[] {
  const drift: string[] = [];
  for (const service of SHIPPED) {
    const loaded = tryLoad(d, service, []);
    const s = d.compose.get(service);
    if (!loaded || !s) continue;
    const configured = Object.values(loaded.ports);
    for (const p of s.ports) {
      if (!configured.includes(p.target))
        drift.push(
          `${service}: publishes container port ${p.text} but its config listens on ${JSON.stringify(loaded.ports)}`,
        );
      else if (p.published !== p.target)
        drift.push(
          `${service}: publishes ${p.target} as host port ${p.published ?? "(random)"}; use the same number so docs and tools agree`,
        );
    }
    for (const [name, port] of Object.entries(loaded.ports))
      if (!s.ports.some((p) => p.target === port)) drift.push(`${service}: ${name}=${port} is not published in ports:`);
  }
  return drift;
}

/** KAFKA_ADVERTISED_LISTENERS entries as {listener, host, port}. */
function advertisedListeners(kafka: ComposeService): { listener: string; host: string; port: number }[] {
  return (kafka.environment["KAFKA_ADVERTISED_LISTENERS"] ?? "").split(",").flatMap((entry) => {
    const match = /^([A-Z_]+):\/\/([^:]+):(\d+)$/.exec(entry.trim());
    return match ? [{ listener: match[1] ?? "", host: match[2] ?? "", port: Number(match[3]) }] : [];
  });
}

function checkKafkaAddresses(d: Deployment): string[] {
  const kafka = d.compose.get("kafka");
  if (!kafka) return [];
  const drift: string[] = [];
  const listeners = advertisedListeners(kafka);
  const internal = listeners.find((l) => l.host === "kafka");
  if (!internal)
    return ['kafka: KAFKA_ADVERTISED_LISTENERS has no listener advertised as "kafka:<port>" for the other containers'];
  const expected = `kafka:${internal.port}`;
  for (const service of SHIPPED) {
    const loaded = tryLoad(d, service, []);
    if (loaded && loaded.config.kafka.brokers.join(",") !== expected)
      drift.push(
        `${service}: KAFKA_BROKERS is ${loaded.config.kafka.brokers.join(",")}, but kafka advertises ${expected} to containers`,
      );
  }
  // Services started on the host use the default KAFKA_BROKERS: compose's Kafka must answer there too.
  const hostDefault = describeConfig("ingest").find((v) => v.name === "KAFKA_BROKERS")?.default ?? "";
  const [defaultHost, defaultPort] = hostDefault.split(":");
  const external = listeners.find((l) => l.host === defaultHost && String(l.port) === defaultPort);
  if (!external)
    drift.push(
      `kafka: no listener advertised as ${hostDefault}, the default KAFKA_BROKERS of services run on the host`,
    );
  else if (!kafka.ports.some((p) => p.target === external.port && p.published === external.port))
    drift.push(
      `kafka: listener ${external.listener} (${hostDefault}) is not published as ${external.port}:${external.port}`,
    );
  return drift;
}

function checkMountedFiles(d: Deployment): string[] {
  const drift: string[] = [];
  for (const service of SHIPPED) {
    const s = d.compose.get(service);
    if (!s) continue;
    for (const v of describeConfig(service).filter((v) => v.file)) {
      const path = s.environment[v.name];
      if (typeof path !== "string") continue;
      const mount = s.volumes.find((m) => m.target === path);
      if (!mount) drift.push(`${service}: ${v.name}=${path} is not mounted by any volume`);
      else if (mount.source.startsWith(".") && !d.exists(mount.source))
        drift.push(`${service}: ${v.name} mounts ${mount.source}, which does not exist in the repository`);
    }
  }
  return drift;
}

function checkImages(d: Deployment): string[] {
  const drift: string[] = [];
  const build = d.stages.find((st) => st.run.some((r) => r.includes("npm ci")));
  if (!build) drift.push("Dockerfile: no stage runs npm ci");
  else {
    if (!build.from.startsWith("node:20-slim"))
      drift.push(`Dockerfile: the npm ci stage is FROM ${build.from}, expected node:20-slim`);
    if (!build.run.some((r) => r.startsWith(BUILD)))
      drift.push(`Dockerfile stage ${build.name}: does not run ${BUILD}, which compiles the services`);
  }
  const runtime = d.stages.find((st) => st.name === RUNTIME);
  if (!runtime) return [...drift, `Dockerfile: no stage "${RUNTIME}", the one image of the services`];
  if (d.stages.at(-1)?.name !== RUNTIME)
    drift.push(`Dockerfile: "${RUNTIME}" must be the last stage (the default target)`);
  if (!runtime.from.startsWith("node:20-slim"))
    drift.push(`Dockerfile stage ${RUNTIME}: FROM ${runtime.from}, expected node:20-slim`);
  if (runtime.user === undefined || ["root", "0"].includes(runtime.user))
    drift.push(`Dockerfile stage ${RUNTIME}: runs as ${runtime.user ?? "root"}; it must set a non-root USER`);
  if (runtime.run.some((r) => /\bnpm\b|\btsx\b/.test(r)) || (runtime.cmd ?? []).some((a) => /tsx|\.ts$/.test(a)))
    drift.push(`Dockerfile stage ${RUNTIME}: runs npm or TypeScript; it must only run the compiled services`);
  // An image must run code that exists: each entry point is compiled from a service's src/main.ts.
  const compiled = (arg: string) => /^services\/([^/]+)\/dist\/main\.mjs$/.exec(arg)?.[1];
  for (const arg of runtime.cmd ?? []) {
    const service = compiled(arg);
    if (/\.(ts|js|mjs)$/.test(arg) && (service === undefined || !d.exists(sourceOf(service))))
      drift.push(`Dockerfile stage ${RUNTIME}: runs ${arg}, which no services/<name>/src/main.ts compiles to`);
  }
  for (const service of SHIPPED) {
    const s = d.compose.get(service);
    if (s?.build?.target !== RUNTIME || s.build.context !== "." || s.build.dockerfile !== "Dockerfile")
      drift.push(`${service}: build must be {context: ".", target: "${RUNTIME}"} of the one Dockerfile`);
    if (s && JSON.stringify(s.command) !== JSON.stringify(commandOf(service)))
      drift.push(`${service}: command ${JSON.stringify(s.command)} should be ${JSON.stringify(commandOf(service))}`);
  }
  for (const [name, s] of d.compose)
    for (const arg of s.command)
      if (compiled(arg) !== undefined && !d.exists(sourceOf(compiled(arg) ?? "")))
        drift.push(`${name}: runs ${arg}, which no services/<name>/src/main.ts compiles to`);
  const exposed = runtime.expose.map((e) => e.port);
  // The default of every port variable (a service such as dns-sync has required settings, so the defaults are read
  // from the description rather than from a loaded configuration).
  const defaults = SHIPPED.flatMap((service) =>
    describeConfig(service)
      .filter((v) => v.port && v.default !== undefined)
      .map((v) => Number(v.default)),
  );
  if (!sameSet(exposed, defaults))
    drift.push(
      `Dockerfile stage ${RUNTIME}: EXPOSE ${exposed.join(" ") || "(none)"} but libs/config's default ports are ${defaults.join(" ")}`,
    );
  for (const service of SHIPPED) {
    const loaded = tryLoad(d, service, []);
    const moved = loaded ? Object.values(loaded.ports).filter((p) => !exposed.includes(p)) : [];
    if (moved.length > 0)
      drift.push(
        `${service}: compose moves its ports to ${moved.join(" ")}, away from the image's EXPOSE ${exposed.join(" ")}`,
      );
  }
  return drift;
}

function checkSharedSettings(d: Deployment): string[] {
  const configs = SHIPPED.flatMap((service) => {
    const loaded = tryLoad(d, service, []);
    return loaded ? [{ service, config: loaded.config }] : [];
  });
  const drift: string[] = [];
  const shared = (c: (typeof configs)[number]["config"]) =>
    JSON.stringify([c.federationName, c.kafka.objectsTopicPartitions, c.kafka.replicationFactor]);
  const first = configs[0];
  for (const c of configs)
    if (first && shared(c.config) !== shared(first.config))
      drift.push(
        `${c.service}: federation name / topic partitions / replication ${shared(c.config)} differ from ${first.service}'s ${shared(first.config)}`,
      );
  const ids = configs.map((c) => c.config.kafka.clientId);
  if (new Set(ids).size !== ids.length) drift.push(`KAFKA_CLIENT_ID repeats across services: ${ids.join(", ")}`);
  return drift;
}

const CHECKS = {
  "declares kafka and each service that has code, and nothing else": checkServicesExist,
  "sets only known, valid variables and every required one": checkVariables,
  "publishes exactly the ports libs/config listens on": checkPublishedPorts,
  "points the services at kafka's in-network listener": checkKafkaAddresses,
  "mounts every file a service is told to read": checkMountedFiles,
  "runs every service from the one non-root image of compiled JavaScript, with the configured EXPOSE and entry points":
    checkImages,
  "gives the services one federation and topic layout": checkSharedSettings,
} as const;

describe("docker-compose.yml and Dockerfile agree with libs/config", () => {
  const d = deployment();
  for (const [title, check] of Object.entries(CHECKS)) it(title, () => expect(check(d)).toEqual([]));
});

// The checks above pass on today's files; these prove they would notice the drifts they exist for.
describe("the drift checks", () => {
  const compose = read("docker-compose.yml");
  const dockerfile = read("Dockerfile");
  const drifted = (from: string, to: string, text = compose): string => {
    expect(text, `fixture no longer contains ${from}`).toContain(from);
    return text.replace(from, to);
  };

  it("catch a misspelt variable and suggest the real one", () => {
    const d = deployment(drifted("      INGEST_SECURE_PORT:", "      INGEST_SECURE_PROT:"));
    expect(checkVariables(d)).toContain(
      "ingest: INGEST_SECURE_PROT is not a variable of libs/config's ingest config (did you mean INGEST_SECURE_PORT?)",
    );
  });

  it("catch a variable whose default would be wrong in a container, and an invalid value", () => {
    const d = deployment(
      drifted(
        "      KAFKA_BROKERS: kafka:19092\n      KAFKA_CLIENT_ID: kubefed-ingest\n",
        "      KAFKA_CLIENT_ID: kubefed-ingest\n",
      ),
    );
    expect(checkVariables(d)).toEqual([
      "ingest: KAFKA_BROKERS must be set (its default 127.0.0.1:9092 is the container itself)",
    ]);
    const bad = deployment(drifted('PROPAGATOR_METRICS_PORT: "9090"', 'PROPAGATOR_METRICS_PORT: "90x"'));
    expect(checkVariables(bad)).toEqual([
      expect.stringContaining('propagator: PROPAGATOR_METRICS_PORT="90x": must be a port number'),
    ]);
  });

  it("catch a published port the config does not listen on", () => {
    const d = deployment(drifted('"127.0.0.1:9090:9090"', '"127.0.0.1:9090:9091"'));
    expect(checkPublishedPorts(d)).toEqual([
      'propagator: publishes container port 127.0.0.1:9090:9091 but its config listens on {"PROPAGATOR_METRICS_PORT":9090}',
      "propagator: PROPAGATOR_METRICS_PORT=9090 is not published in ports:",
    ]);
  });

  it("catch services pointed at the wrong Kafka address", () => {
    const d = deployment(
      drifted(
        "      KAFKA_BROKERS: kafka:19092\n      KAFKA_CLIENT_ID: kubefed-propagator",
        "      KAFKA_BROKERS: kafka:9092\n      KAFKA_CLIENT_ID: kubefed-propagator",
      ),
    );
    expect(checkKafkaAddresses(d)).toEqual([
      "propagator: KAFKA_BROKERS is kafka:9092, but kafka advertises kafka:19092 to containers",
    ]);
  });

  it("catch an EXPOSE that drifted from the config's port", () => {
    const d = deployment(compose, drifted("EXPOSE 8443 9090 9091", "EXPOSE 8443 9100 9091", dockerfile));
    expect(checkImages(d)).toEqual([
      "Dockerfile stage runtime: EXPOSE 8443 9100 9091 but libs/config's default ports are 8443 9090 9091",
      "propagator: compose moves its ports to 9090, away from the image's EXPOSE 8443 9100 9091",
    ]);
  });

  it("catch an image or compose service whose code is not in the tree", () => {
    const cmd = 'CMD ["node", "services/ingest/dist/main.mjs"]';
    expect(
      checkImages(deployment(compose, drifted(cmd, 'CMD ["node", "services/mirror/dist/main.mjs"]', dockerfile))),
    ).toEqual([
      "Dockerfile stage runtime: runs services/mirror/dist/main.mjs, which no services/<name>/src/main.ts compiles to",
    ]);
    const service =
      '\n  mirror:\n    build:\n      context: .\n      target: runtime\n    command: ["node", "services/mirror/dist/main.mjs"]\n';
    expect(checkServicesExist(deployment(`${compose}${service}`))).toEqual([
      'service "mirror" is neither a backing service nor one of ours with code (ingest, propagator, dns-sync)',
    ]);
    expect(checkImages(deployment(`${compose}${service}`))).toEqual([
      "mirror: runs services/mirror/dist/main.mjs, which no services/<name>/src/main.ts compiles to",
    ]);
  });

  it("catch an image that runs as root, runs TypeScript, or skips the compile step", () => {
    expect(checkImages(deployment(compose, drifted("USER node\n", "", dockerfile)))).toEqual([
      "Dockerfile stage runtime: runs as root; it must set a non-root USER",
    ]);
    expect(
      checkImages(
        deployment(
          compose,
          drifted(
            'CMD ["node", "services/ingest/dist/main.mjs"]',
            'CMD ["npx", "tsx", "services/ingest/src/main.ts"]',
            dockerfile,
          ),
        ),
      ),
    ).toEqual([
      "Dockerfile stage runtime: runs npm or TypeScript; it must only run the compiled services",
      "Dockerfile stage runtime: runs services/ingest/src/main.ts, which no services/<name>/src/main.ts compiles to",
    ]);
    expect(
      checkImages(deployment(compose, drifted("RUN node scripts/build-services.mjs", "RUN true", dockerfile))),
    ).toEqual(["Dockerfile stage build: does not run node scripts/build-services.mjs, which compiles the services"]);
  });

  it("catch a file variable without a volume", () => {
    const d = deployment(drifted("      - ./deploy/compose/token-auth.csv:/etc/kubefed/token-auth.csv:ro\n", ""));
    expect(checkMountedFiles(d)).toEqual([
      "ingest: INGEST_TOKEN_AUTH_FILE=/etc/kubefed/token-auth.csv is not mounted by any volume",
    ]);
  });
});
