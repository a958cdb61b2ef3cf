import { Kafka, logLevel as KafkaLogLevel, type Admin, type Consumer, type Producer } from "kafkajs";
import { aclEntries } from "./acls.ts";
import { groupCommitAppender } from "./appender.ts";
import { byKeyUnlessSingle } from "./partitioner.ts";
import { recordsOf } from "./records.ts";
import { connectionSecurity, explainSecurityFailure, KafkaSecurityError } from "./security.ts";
import type {
  AclGrant,
  Appender,
  GroupMember,
  GroupOptions,
  KafkaOptions,
  LogRecord,
  Tail,
  TailOptions,
  TailSource,
  TopicSpec,
} from "./types.ts";

/**
 * How long a fetch waits at the broker for new records before it returns empty. It should only bound idle polling,
 * but with kafkajs a longer wait measurably delays delivery (500 ms gave a mean append-to-fetch lag of 32 ms, 100 ms
 * gave 20 ms in the propagation benchmark), so consumers poll often. That was measured before the request-queue
 * fix (requestqueue.ts), while every connection still spun a 1 ms timer; it has not been measured again since.
 */
const FETCH_WAIT_MS = 100;

export class KafkaClient implements TailSource {
  private readonly kafka: Kafka;
  private adminClient: Admin | undefined;
  private readonly consumers = new Set<Consumer>();

  constructor(private readonly opts: KafkaOptions) {
    this.kafka = new Kafka({
      clientId: opts.clientId,
      brokers: opts.brokers,
      connectionTimeout: opts.connectionTimeoutMs ?? 3000,
      retry: { retries: opts.retries ?? 5 },
      ...connectionSecurity(opts.security),
      logLevel: KafkaLogLevel.WARN,
      logCreator: () => (entry) => {
        const level = entry.level === KafkaLogLevel.ERROR ? "error" : "warn";
        const { message, ...extra } = entry.log;
        opts.onLog?.(level, String(message), extra);
      },
    });
  }

  /** Connects a kafkajs client; a failure of the security setup becomes one line that says what to fix. */
  private async connect(client: { connect(): Promise<void> }): Promise<void> {
    try {
      await client.connect();
    } catch (e) {
      const why = explainSecurityFailure(e, this.opts.security, this.opts.brokers);
      throw why === undefined ? e : new KafkaSecurityError(why, { cause: e });
    }
  }

  private async admin(): Promise<Admin> {
    if (!this.adminClient) {
      const admin = this.kafka.admin();
      await this.connect(admin);
      this.adminClient = admin;
    }
    return this.adminClient;
  }

  /** Resolves when the cluster answers a metadata request. */
  async ping(): Promise<{ brokers: number; controller: number | null }> {
    const admin = await this.admin();
    const c = await admin.describeCluster();
    return { brokers: c.brokers.length, controller: c.controller };
  }

  /** Creates the topics that do not exist yet; existing topics are left as they are. */
  async ensureTopics(specs: TopicSpec[]): Promise<void> {
    const admin = await this.admin();
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.name));
    if (missing.length === 0) return;
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((s) => ({
        topic: s.name,
        numPartitions: s.partitions,
        replicationFactor: s.replicationFactor,
        configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
  }

  /** Adds ALLOW ACLs (an authorizing broker; needs a principal allowed to alter them). Existing ones stay. */
  async grant(acls: readonly AclGrant[]): Promise<void> {
    await (await this.admin()).createAcls({ acl: aclEntries(acls) });
  }

  async listTopics(): Promise<string[]> {
    return (await this.admin()).listTopics();
  }

  /**
   * The next offset to be written in a topic that must have one partition (the objects log: its offsets are one
   * global order, and resourceVersions). A topic created with more, outside the federation, is refused with an
   * error that says so, rather than served with colliding versions.
   */
  async endOffsetOfOnlyPartition(topic: string): Promise<bigint> {
    const ends = await this.endOffsets(topic);
    if (ends.length !== 1) {
      throw new Error(
        `topic ${topic} has ${ends.length} partitions; the federation needs exactly 1 (resourceVersion is the offset of one global order): recreate the topic with one partition`,
      );
    }
    return BigInt(ends[0]!.offset);
  }

  /** The next offset to be written in each partition (the "high watermark"). */
  async endOffsets(topic: string): Promise<{ partition: number; offset: string }[]> {
    const admin = await this.admin();
    // Right after a topic is created its leader may not be known to every broker yet ("not the leader for that
    // topic-partition", retriable): kafkajs does not retry that here, so a start-up on a fresh topic could fail.
    let offsets: Awaited<ReturnType<Admin["fetchTopicOffsets"]>>;
    for (let attempt = 0; ; attempt++) {
      try {
        offsets = await admin.fetchTopicOffsets(topic);
        break;
      } catch (e) {
        // A topic that does not exist is not worth waiting for (kafkajs calls that retriable too).
        const err = e as { retriable?: boolean; type?: string };
        if (!err.retriable || err.type === "UNKNOWN_TOPIC_OR_PARTITION" || attempt >= 10) throw e;
        await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
      }
    }
    return offsets.map((o) => ({ partition: o.partition, offset: o.high })).sort((a, b) => a.partition - b.partition);
  }

  /** An idempotent producer with acks=all: a retried append is never duplicated or reordered. */
  async appender(): Promise<Appender> {
    const producer: Producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: byKeyUnlessSingle,
    });
    await this.connect(producer);
    return groupCommitAppender(producer);
  }

  /**
   * Reads a topic from a position without a consumer group commit: the caller owns its position (read
   * models rebuild from the log). kafkajs needs a group id; a unique one per tail keeps them independent.
   */
  async tail(
    opts: TailOptions,
    groupId = `${this.opts.clientId}.tail.${process.pid}.${Date.now()}.${this.consumers.size}`,
  ): Promise<Tail> {
    const consumer = this.kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: FETCH_WAIT_MS,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
    });
    this.consumers.add(consumer);
    await this.connect(consumer);
    await consumer.subscribe({ topic: opts.topic, fromBeginning: opts.from !== "latest" });
    const seekTo = Array.isArray(opts.from) ? opts.from : [];
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        const records = recordsOf(batch);
        if (records.length > 0) await opts.onBatch(records);
      },
    });
    for (const s of seekTo) consumer.seek({ topic: opts.topic, partition: s.partition, offset: s.offset });
    return {
      stop: async () => {
        this.consumers.delete(consumer);
        await consumer.disconnect();
      },
    };
  }

  /** The group's committed offsets on a topic; an entry is null where the group has committed nothing. */
  async committedOffsets(groupId: string, topic: string): Promise<{ partition: number; offset: string | null }[]> {
    const admin = await this.admin();
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (entry?.partitions ?? []).map((p) => ({
      partition: p.partition,
      offset: p.offset === "-1" ? null : p.offset,
    }));
  }

  /** Sets a group's committed offsets (the group must have no active member). */
  async setCommittedOffsets(
    groupId: string,
    topic: string,
    offsets: { partition: number; offset: string }[],
  ): Promise<void> {
    const admin = await this.admin();
    await admin.setOffsets({ groupId, topic, partitions: offsets });
  }

  /**
   * Joins a consumer group: the broker gives each partition to one member, and to another one when that member
   * leaves or stops heartbeating. Offsets are committed only up to records the handler commits.
   */
  async join(opts: GroupOptions): Promise<GroupMember> {
    const sessionTimeout = opts.sessionTimeoutMs ?? 6000;
    const consumer = this.kafka.consumer({
      groupId: opts.groupId,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: FETCH_WAIT_MS,
      sessionTimeout,
      rebalanceTimeout: Math.max(sessionTimeout, 10_000),
      heartbeatInterval: Math.max(300, Math.floor(sessionTimeout / 10)),
      retry: { retries: 1_000_000, initialRetryTime: 300, maxRetryTime: 5000 },
    });
    this.consumers.add(consumer);
    let stopping = false;
    const paused = new Set<number>();
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const assigned = (e.payload.memberAssignment as Record<string, number[] | undefined>)[opts.topic] ?? [];
      opts.onAssignment?.([...assigned]);
    });
    // A crashed or stopped consumer holds nothing (kafkajs rejoins after a retriable crash: GROUP_JOIN again).
    consumer.on(consumer.events.CRASH, () => opts.onAssignment?.([]));
    consumer.on(consumer.events.STOP, () => opts.onAssignment?.([]));
    await this.connect(consumer);
    await consumer.subscribe({ topic: opts.topic, fromBeginning: opts.fromBeginning });
    await consumer.run({
      // Offsets are committed by the handler (GroupBatch.commit), once the work of a record is done.
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale, pause }) => {
        const records = recordsOf(batch);
        if (records.length === 0) return;
        const first = records[0]!;
        const pauseFrom = (from: LogRecord) => {
          paused.add(batch.partition);
          pause();
          consumer.seek({ topic: batch.topic, partition: batch.partition, offset: from.offset });
        };
        try {
          await opts.onBatch({
            partition: batch.partition,
            records,
            resolve: (r) => resolveOffset(r.offset),
            commit: (r) =>
              consumer.commitOffsets([
                { topic: batch.topic, partition: batch.partition, offset: (BigInt(r.offset) + 1n).toString() },
              ]),
            heartbeat,
            isStale: () => stopping || !isRunning() || isStale(),
            pause: pauseFrom,
          });
        } catch (e) {
          // A handler failure must not stop the consumer for good: fetch the batch again a little later.
          this.opts.onLog?.("error", `batch handler of group ${opts.groupId} failed; retrying the batch`, {
            error: String(e),
          });
          pauseFrom(first);
          setTimeout(() => {
            if (stopping) return;
            consumer.resume([{ topic: batch.topic, partitions: [batch.partition] }]);
            paused.delete(batch.partition);
          }, 1000).unref();
        }
      },
    });
    return {
      seek: (partition, offset) => consumer.seek({ topic: opts.topic, partition, offset }),
      resume: () => {
        if (paused.size === 0) return;
        consumer.resume([{ topic: opts.topic, partitions: [...paused] }]);
        paused.clear();
      },
      stop: async () => {
        stopping = true;
        this.consumers.delete(consumer);
        await consumer.disconnect();
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.disconnect().catch(() => undefined)));
    this.consumers.clear();
    await this.adminClient?.disconnect();
    this.adminClient = undefined;
  }
}
