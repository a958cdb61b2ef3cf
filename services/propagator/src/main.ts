/**
 * The propagator: converges member clusters with the federation's desired state. Configuration comes from the
 * environment (see libs/config), each variable also settable by its flag; `--help` lists them all.
 *
 *   propagator                      serve every member cluster
 *   propagator --clusters a,b       serve these clusters (another worker with the same ones is a hot standby)
 *   propagator --region eu-west     serve the clusters labelled topology.kubernetes.io/region=eu-west
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { Command } from "commander";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { CONFIG_DESCRIPTION, ConfigError, loadPropagatorConfig } from "@kubefed/config";
import { parseKeyring, toFederationError } from "@kubefed/events";
import { KafkaClient } from "@kubefed/kafka";
import { createLogger } from "@kubefed/logging";
import { objectsTopic, statusTopic } from "@kubefed/names";
import { Worker } from "./worker.ts";

const cmd = new Command("propagator")
  .description("Converges member clusters with the federation's event log: one consumer group per member cluster")
  .allowExcessArguments(false)
  .addHelpText(
    "after",
    "\nExamples:\n  propagator --clusters member1,member2\n  PROPAGATOR_REGION=eu-west propagator\n",
  );
for (const v of CONFIG_DESCRIPTION.propagator)
  cmd.option(
    `${v.flag} <value>`,
    `${v.description} (env ${v.name}${v.default !== undefined ? `, default ${v.default}` : ""})`,
  );
cmd.parse(process.argv);
const flags = cmd.opts<Record<string, string>>();

let config;
try {
  const overrides = Object.fromEntries(
    CONFIG_DESCRIPTION.propagator.map((v) => [v.key, flags[v.key]]).filter(([, x]) => x !== undefined),
  );
  config = loadPropagatorConfig(process.env, overrides);
} catch (e) {
  process.stderr.write(`propagator: ${e instanceof ConfigError ? e.message : String(e)}\n`);
  process.exit(2);
}

const logger = createLogger({ service: "propagator", level: config.logLevel });

try {
  let keyringText: string | undefined;
  if (config.secretsKeyFile) {
    try {
      keyringText = readFileSync(config.secretsKeyFile, "utf8");
    } catch (e) {
      process.stderr.write(
        `propagator: cannot read the secrets key file ${config.secretsKeyFile}: ${toFederationError(e).message}\n`,
      );
      process.exit(2);
    }
  }
  const keyring = keyringText ? parseKeyring(keyringText) : undefined;
  const fed = config.federationName;
  const kafka = new KafkaClient({
    brokers: [...config.kafka.brokers],
    clientId: config.kafka.clientId,
    security: config.kafka.security,
    onLog: (level, message, extra) => logger[level]({ kafka: extra }, message),
  });
  const topics = await kafka.listTopics();
  for (const t of [objectsTopic(fed), statusTopic(fed)]) {
    if (!topics.includes(t))
      throw new Error(
        `topic ${t} does not exist: start the ingest of federation "${fed}" first (it creates the topics)`,
      );
  }

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const reconciles = new Counter({
    name: "kubefed_propagator_reconciles_total",
    help: "Reconciles by member cluster and result.",
    labelNames: ["cluster", "result"],
    registers: [registry],
  });
  const ready = new Gauge({
    name: "kubefed_propagator_cluster_ready",
    help: "1 when the member cluster is Ready, 0 when Offline.",
    labelNames: ["cluster"],
    registers: [registry],
  });
  const lag = new Histogram({
    name: "kubefed_propagator_lag_seconds",
    help: "From a change's append to the objects log until this worker had it (stage=fetched), had folded it (stage=folded), and had converged the member cluster to it (stage=applied).",
    labelNames: ["cluster", "stage"],
    buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const active = new Gauge({
    name: "kubefed_propagator_cluster_active",
    help: "1 when this worker holds the member cluster's cursor, 0 on standby.",
    labelNames: ["cluster"],
    registers: [registry],
  });

  const worker = new Worker({
    federation: fed,
    kafka,
    keyring,
    selection: config.selection,
    logger,
    concurrency: config.concurrency,
    healthProbeIntervalMs: config.healthProbeIntervalMs,
    failuresToOffline: config.failuresToOffline,
    successesToReady: config.successesToReady,
    resyncPeriodMs: config.resyncPeriodMs,
    metrics: {
      reconciles: (cluster, result) => reconciles.inc({ cluster, result }),
      health: (cluster, ok) => ready.set({ cluster }, ok ? 1 : 0),
      lag: (cluster, stage, seconds) => lag.observe({ cluster, stage }, seconds),
    },
  });

  let started = false;
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/healthz" || path === "/livez") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    } else if (path === "/readyz") {
      res
        .writeHead(started ? 200 : 503, { "content-type": "text/plain" })
        .end(started ? "ok" : "projection not caught up yet");
    } else if (path === "/metrics") {
      for (const c of worker.clusterWorkers) active.set({ cluster: c.name }, c.isActive ? 1 : 0);
      void registry.metrics().then((text) => res.writeHead(200, { "content-type": registry.contentType }).end(text));
    } else if (path === "/clusters") {
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(
          JSON.stringify(
            worker.clusterWorkers.map((c) => ({ name: c.name, active: c.isActive, ready: c.isReady ?? null })),
          ),
        );
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e) => reject(new Error(`cannot listen on port ${config.metricsPort}: ${e.message}`)));
    server.listen(config.metricsPort, "0.0.0.0", () => resolve());
  });
  await worker.start();
  started = true;
  const addr = server.address();
  logger.info(
    {
      federation: fed,
      selection: config.selection,
      port: typeof addr === "object" && addr ? addr.port : config.metricsPort,
      clusters: worker.clusterWorkers.map((c) => c.name),
    },
    "propagator running",
  );

  const shutdown = async () => {
    server.close();
    await worker.stop().catch(() => undefined);
    await kafka.close().catch(() => undefined);
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown());
  process.once("SIGINT", () => void shutdown());
} catch (e) {
  logger.fatal({ err: e }, "propagator failed to start");
  process.stderr.write(`propagator: ${toFederationError(e).message}\n`);
  process.exit(1);
}
