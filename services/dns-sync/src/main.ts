/**
 * dns-sync: keeps the federation's DNS zone at the record sets planned from the objects log and the status topic
 * (libs/dnsplan), through a DNS provider (coredns: SkyDNS records in etcd; rfc2136). Configuration comes from the
 * environment (libs/config), each variable also settable by its flag; `--help` lists them all.
 *
 * Replicas: every replica follows and folds both topics; they are members of one consumer group,
 * `<fed>.dns-sync`, on the one-partition status topic, and the member the broker gives the partition to is the one
 * that writes the zone. The others are hot standbys: their folds are current, so when the active one stops (it
 * leaves the group: at once) or dies (after the session timeout, 6 s), the next one lists what it owns in the
 * zone, diffs and converges.
 */
import { createServer } from "node:http";
import { Command } from "commander";
import { CONFIG_DESCRIPTION, ConfigError, loadDnsSyncConfig } from "@kubefed/config";
import { toFederationError } from "@kubefed/events";
import { KafkaClient } from "@kubefed/kafka";
import { createLogger } from "@kubefed/logging";
import { dnsSyncGroup, objectsTopic, statusTopic } from "@kubefed/names";
import { syncMetrics } from "./metrics.ts";
import { createProvider } from "./providers/index.ts";
import { Syncer } from "./syncer.ts";
import { FederationView } from "./view.ts";

const cmd = new Command("dns-sync")
  .description("Keeps the federation's DNS zone converged with its federated Services of type LoadBalancer")
  .allowExcessArguments(false)
  .addHelpText(
    "after",
    "\nExample:\n  DNS_SYNC_ZONE_NAME=example.com. DNS_SYNC_PROVIDER=coredns DNS_SYNC_PROVIDER_CONFIG=/etc/kubefed/coredns.conf dns-sync\n",
  );
for (const v of CONFIG_DESCRIPTION["dns-sync"])
  cmd.option(
    `${v.flag} <value>`,
    `${v.description} (env ${v.name}${v.default !== undefined ? `, default ${v.default}` : ""})`,
  );
cmd.parse(process.argv);
const flags = cmd.opts<Record<string, string>>();

const fail = (message: string): never => {
  process.stderr.write(`dns-sync: ${message}\n`);
  process.exit(2);
};

let config;
let provider;
try {
  const overrides = Object.fromEntries(
    CONFIG_DESCRIPTION["dns-sync"].map((v) => [v.key, flags[v.key]]).filter(([, x]) => x !== undefined),
  );
  config = loadDnsSyncConfig(process.env, overrides);
  provider = createProvider(config);
} catch (e) {
  fail(e instanceof ConfigError ? e.message : toFederationError(e).message);
}
if (!config || !provider) process.exit(2);

const logger = createLogger({ service: "dns-sync", level: config.logLevel });

try {
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
  const metrics = syncMetrics(provider.kind);
  const view = new FederationView({
    source: kafka,
    federation: fed,
    onSkipped: (topic, offset, err) => logger.error({ topic, offset, err: err.message }, "undecodable record skipped"),
  });
  const syncer = new Syncer({
    view,
    provider,
    settings: { federation: fed, zone: config.zoneName, ttl: config.recordTtl },
    owner: fed,
    batchSize: config.batchSize,
    logger,
    metrics: metrics.sync,
  });

  let caughtUp = false;
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/healthz" || path === "/livez") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    } else if (path === "/readyz") {
      res
        .writeHead(caughtUp ? 200 : 503, { "content-type": "text/plain" })
        .end(caughtUp ? "ok" : "the objects log and status topic are not folded yet");
    } else if (path === "/metrics") {
      metrics.active.set(syncer.state.active ? 1 : 0);
      void metrics.registry
        .metrics()
        .then((text) => res.writeHead(200, { "content-type": metrics.registry.contentType }).end(text));
    } else if (path === "/sync") {
      // Whether this replica writes the zone, what it owns, whether it is converged, the last provider error.
      res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({
          ...syncer.state,
          statusOffset: String(view.status.next),
          objectsOffset: String(view.objects.next),
        }),
      );
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e) => reject(new Error(`cannot listen on port ${config.metricsPort}: ${e.message}`)));
    server.listen(config.metricsPort, "0.0.0.0", () => resolve());
  });
  await view.start();
  caughtUp = true;
  const group = await kafka.join({
    groupId: dnsSyncGroup(fed),
    topic: statusTopic(fed),
    fromBeginning: false,
    // The records are read by the view; the group only says which replica writes.
    onBatch: async (batch) => batch.resolve(batch.records[batch.records.length - 1]!),
    onAssignment: (partitions) => (partitions.length > 0 ? syncer.activate() : syncer.deactivate()),
  });
  logger.info({ federation: fed, zone: config.zoneName, provider: provider.kind }, "dns-sync running");

  const shutdown = async () => {
    server.close();
    await syncer.stop().catch(() => undefined);
    await group.stop().catch(() => undefined);
    await view.stop().catch(() => undefined);
    await provider.close().catch(() => undefined);
    await kafka.close().catch(() => undefined);
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown());
  process.once("SIGINT", () => void shutdown());
} catch (e) {
  logger.fatal({ err: e }, "dns-sync failed to start");
  process.stderr.write(`dns-sync: ${toFederationError(e).message}\n`);
  process.exit(1);
}
