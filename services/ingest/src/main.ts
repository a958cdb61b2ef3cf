/**
 * The federation API server. Configuration comes from the environment (see libs/config), each variable also
 * settable by its flag; `--help` lists them all.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:https";
import { Command } from "commander";
import { generate } from "selfsigned";
import { CONFIG_DESCRIPTION, loadIngestConfig, ConfigError } from "@kubefed/config";
import { parseKeyring, toFederationError, type FederationError } from "@kubefed/events";
import { KafkaClient } from "@kubefed/kafka";
import { createLogger } from "@kubefed/logging";
import { SnapshotStore } from "@kubefed/follower";
import { objectsTopic, statusTopic, eventsTopic, snapshotsTopic } from "@kubefed/names";
import { Authenticator, parseCredentialFile } from "./auth.ts";
import { Authorizer } from "./authz.ts";
import { CommandHandler } from "./commands.ts";
import { Handlers } from "./handlers.ts";
import { ReadModel } from "./readmodel.ts";
import { StatusView } from "./statusview.ts";
import { HistoryFeed } from "./historyfeed.ts";
import { HistoryIndex } from "./historyindex.ts";
import { SnapshotWriter } from "./snapshotwriter.ts";
import { createMetrics, createRequestHandler } from "./server.ts";
import { PlacementAdmission } from "./placementadmission.ts";
import { SchedulingRecorder } from "./scheduling.ts";
import { parseSchedulingPolicyConfig, SchedulingPolicy } from "./schedulingpolicy.ts";
import { DEFAULT_DAMPING } from "@kubefed/placement";
import { SCHEDULING_POLICY_CONFIGMAP, SCHEDULING_POLICY_NAMESPACE } from "@kubefed/names";

const cmd = new Command("ingest")
  .description("Federation API server: Kubernetes API in front of the event log")
  .allowExcessArguments(false);
for (const v of CONFIG_DESCRIPTION.ingest)
  cmd.option(
    `${v.flag} <value>`,
    `${v.description} (env ${v.name}${v.default !== undefined ? `, default ${v.default}` : ""})`,
  );
cmd.parse(process.argv);
const flags = cmd.opts<Record<string, string>>();

let config;
try {
  const overrides = Object.fromEntries(
    CONFIG_DESCRIPTION.ingest.map((v) => [v.key, flags[v.key]]).filter(([, x]) => x !== undefined),
  );
  config = loadIngestConfig(process.env, overrides);
} catch (e) {
  process.stderr.write(`ingest: ${e instanceof ConfigError ? e.message : toFederationError(e).message}\n`);
  process.exit(2);
}

const logger = createLogger({ service: "ingest", level: config.logLevel });
const read = (f: string, what: string) => {
  try {
    return readFileSync(f, "utf8");
  } catch (e) {
    process.stderr.write(`ingest: cannot read the ${what} ${f}: ${toFederationError(e).message}\n`);
    process.exit(2);
  }
};

try {
  const keyring = config.secretsKeyFile ? parseKeyring(read(config.secretsKeyFile, "secrets key file")) : undefined;
  const auth = new Authenticator({
    tokens: config.auth.tokenFile
      ? parseCredentialFile(read(config.auth.tokenFile, "token auth file"), "token auth file")
      : [],
    basic: config.auth.basicFile
      ? parseCredentialFile(read(config.auth.basicFile, "basic auth file"), "basic auth file")
      : [],
    anonymous: config.auth.anonymous,
    clientCertificates: config.auth.clientCaFile !== undefined,
  });
  const clientCa = config.auth.clientCaFile ? read(config.auth.clientCaFile, "client CA file") : undefined;
  const fed = config.federationName;
  const kafka = new KafkaClient({
    brokers: [...config.kafka.brokers],
    clientId: config.kafka.clientId,
    security: config.kafka.security,
    onLog: (level, message, extra) => logger[level]({ kafka: extra }, message),
  });
  await kafka.ensureTopics([
    {
      name: objectsTopic(fed),
      partitions: config.kafka.objectsTopicPartitions,
      replicationFactor: config.kafka.replicationFactor,
      config: { "retention.ms": "-1", "retention.bytes": "-1" },
    },
    {
      name: statusTopic(fed),
      partitions: 1,
      replicationFactor: config.kafka.replicationFactor,
      // Reports are keyed per cluster (health) and per cluster × object (statusKey): compaction keeps the
      // latest of each, which is all the status fold keeps, so the topic is bounded by clusters × objects.
      config: {
        "cleanup.policy": "compact",
        "retention.ms": "-1",
        "segment.ms": String(3_600_000),
        "min.cleanable.dirty.ratio": "0.5",
        "delete.retention.ms": String(86_400_000),
      },
    },
    {
      name: snapshotsTopic(fed),
      partitions: 1,
      replicationFactor: config.kafka.replicationFactor,
      // The latest snapshot's chunks and manifest; older chunks get tombstones (libs/follower snapshots.ts).
      config: {
        "cleanup.policy": "compact",
        "segment.ms": String(600_000),
        "min.cleanable.dirty.ratio": "0.1",
        "delete.retention.ms": String(3_600_000),
        "max.message.bytes": String(1_048_576),
      },
    },
    {
      name: eventsTopic(fed),
      partitions: 1,
      replicationFactor: config.kafka.replicationFactor,
      config: { "retention.ms": String(3_600_000) },
    },
  ]);
  const appender = await kafka.appender();
  const snapshots = new SnapshotStore({
    source: kafka,
    topic: snapshotsTopic(fed),
    objectsTopic: objectsTopic(fed),
    keyring,
  });
  const onPoison = (offset: string, err: FederationError) =>
    logger.error({ offset, err }, "skipped an event that can never be decoded");
  const readModel = new ReadModel(kafka, objectsTopic(fed), keyring, {
    watchWindow: 100_000,
    watchWindowBytes: config.watchWindowBytes,
    onPoison,
    snapshots: {
      store: snapshots,
      onFallback: (reason, err) =>
        logger.info(
          { reason, err: err === undefined ? undefined : String(err) },
          "folding the objects log from offset 0",
        ),
    },
  });
  // Constructed before either starts; started after the objects read model, so reports merge onto caught-up objects.
  const statusView = new StatusView(readModel, kafka, statusTopic(fed), {
    ...(config.dnsZoneName ? { dns: { federation: fed, zone: config.dnsZoneName } } : {}),
    onPoison: (offset, err) =>
      logger.error({ offset, err, topic: statusTopic(fed) }, "skipped a status report that can never be decoded"),
  });
  let ready = false;
  const metrics = createMetrics();
  const authz = new Authorizer({ state: () => readModel.current, logger, denied: metrics.denied });
  const commands = new CommandHandler({
    model: readModel,
    appender,
    topic: objectsTopic(fed),
    keyring,
    foldTimeoutMs: 30_000,
    present: (o) => statusView.merge(o),
    onAppended: (type) => metrics.appended.inc({ type }),
    guard: (command, state, resource) => authz.guard(command, state, resource),
  });
  let policy: SchedulingPolicy | undefined;
  if (config.schedulingPolicy) {
    const file = config.schedulingPolicy.configFile;
    let policyConfig;
    try {
      policyConfig = parseSchedulingPolicyConfig(read(file, "admission control config file"));
    } catch (e) {
      process.stderr.write(`ingest: the admission control config file ${file}: ${toFederationError(e).message}\n`);
      process.exit(2);
    }
    policy = new SchedulingPolicy({ config: policyConfig, federation: fed, state: () => readModel.current, logger });
    if (policyConfig.failOpen)
      logger.warn({ url: policyConfig.url }, "SchedulingPolicy fails open: writes pass unchanged while OPA fails");
    // Pushed when it changes, not only at the next write that needs it.
    readModel.subscribe((changes) => {
      if (
        changes.some(
          (c) =>
            c.kindKey === "/ConfigMap" &&
            c.namespace === SCHEDULING_POLICY_NAMESPACE &&
            c.object.metadata &&
            (c.object.metadata as { name?: string }).name === SCHEDULING_POLICY_CONFIGMAP,
        )
      )
        policy?.sync();
    });
  }
  const placement = new PlacementAdmission({ state: () => readModel.current, ...(policy ? { policy } : {}) });
  const history = new HistoryIndex();
  const feed = new HistoryFeed(history, readModel);
  feed.hold();
  const historyReady = () => feed.ready;
  const handlers = new Handlers({
    readModel,
    view: statusView,
    commands,
    placement,
    history: { index: history, ready: historyReady },
  });
  const scheduling = new SchedulingRecorder({
    state: () => readModel.current,
    health: (c) => statusView.clusterHealth(c),
    statusOffset: () => statusView.statusOffset,
    commands,
    rule: {
      ...DEFAULT_DAMPING,
      readmitAfterMs: config.rebalance.readmitAfterMs,
      maxReadmitAfterMs: config.rebalance.readmitMaxMs,
    },
    logger,
  });
  const tls = config.tls
    ? { cert: read(config.tls.certFile, "TLS certificate"), key: read(config.tls.keyFile, "TLS key") }
    : await (async () => {
        const pems = await generate([{ name: "commonName", value: "kubefed-ingest" }], {
          keyType: "ec",
          extensions: [
            {
              name: "subjectAltName",
              altNames: [
                { type: 2, value: "localhost" },
                { type: 7, ip: "127.0.0.1" },
              ],
            },
          ],
        });
        logger.warn("no TLS certificate given: serving a self-signed one");
        return { cert: pems.cert, key: pems.private };
      })();
  const server = createServer(
    // A client certificate is asked for, not required: tokens and passwords authenticate too. The handshake checks it
    // against the client CA and its validity; authentication reads the verdict.
    clientCa ? { ...tls, ca: clientCa, requestCert: true, rejectUnauthorized: false } : tls,
    createRequestHandler(
      {
        history: { history, readModel, historyReady },
        auth,
        authz,
        handlers,
        logger,
        maxBodyBytes: config.maxRequestBodyBytes,
        maxWatchTimeoutS: Math.floor(config.maxWatchTimeoutMs / 1000),
        ready: () => ready,
        registry: metrics.registry,
      },
      metrics,
    ),
  );
  await readModel.start();
  if (readModel.startedAt > 0n)
    logger.info({ position: String(readModel.startedAt) }, "started from a snapshot of the objects state");
  // History before the snapshot is read in the background; history requests answer 503 until then.
  feed
    .backfill({
      source: kafka,
      topic: objectsTopic(fed),
      keyring,
      until: readModel.startedAt,
      onSkipped: () => undefined,
    })
    .then(() => logger.info({ revisions: history.size }, "history index caught up"))
    .catch((err: unknown) => logger.error({ err }, "the history index could not read the log"));
  await statusView.start();
  scheduling.start();
  policy?.sync();
  const snapshotWriter = new SnapshotWriter({
    readModel,
    store: snapshots,
    appender,
    interval: config.snapshotInterval,
    logger,
    writer: `ingest ${process.pid}`,
  });
  snapshotWriter.start();
  ready = true;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.securePort, config.bindAddress, () => resolve());
  });
  const addr = server.address();
  logger.info(
    {
      port: typeof addr === "object" && addr ? addr.port : config.securePort,
      objects: objectsTopic(fed),
      resourceVersion: readModel.resourceVersion,
    },
    "federation API serving",
  );
  const shutdown = async () => {
    server.close();
    await scheduling.stop().catch(() => undefined);
    snapshotWriter.stop();
    await statusView.stop().catch(() => undefined);
    await readModel.stop().catch(() => undefined);
    await appender.close().catch(() => undefined);
    await kafka.close().catch(() => undefined);
    process.exit(0);
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
} catch (e) {
  logger.fatal({ err: e }, "ingest failed to start");
  process.stderr.write(`ingest: ${toFederationError(e).message}\n`);
  process.exit(1);
}
