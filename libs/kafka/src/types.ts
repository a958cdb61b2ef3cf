/** The small types the rest of the project speaks instead of kafkajs's (see index.ts). */

/** TLS and SASL of a client; the same shape as @kubefed/config's KafkaSecurityConfig. */
export interface KafkaSecurity {
  readonly protocol: "plaintext" | "ssl" | "sasl_ssl";
  /** ssl, sasl_ssl: PEM files; without a CA the system's CAs verify the brokers; cert and key for mTLS. */
  readonly tls?: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string };
  /** sasl_ssl: SCRAM credentials, the password read from a file. */
  readonly sasl?: {
    readonly mechanism: "scram-sha-512" | "scram-sha-256";
    readonly username: string;
    readonly passwordFile: string;
  };
}

export interface KafkaOptions {
  brokers: string[];
  clientId: string;
  /** Absent: plaintext. */
  security?: KafkaSecurity;
  /** Called with kafkajs's own warnings and errors; silent when absent. */
  onLog?: (level: "error" | "warn", message: string, extra: Record<string, unknown>) => void;
  connectionTimeoutMs?: number;
  /** How long a request may retry before failing (kafkajs retries internally). */
  retries?: number;
}

/** An ALLOW rule for an authorizing broker: `principal` may do `operations` on the named resource(s). */
export interface AclGrant {
  /** "User:<name>", as Kafka names principals. */
  readonly principal: string;
  readonly resource: "topic" | "group" | "cluster";
  /** Ignored for "cluster". */
  readonly name: string;
  /** The rule covers every resource whose name starts with `name`. */
  readonly prefixed?: boolean;
  readonly operations: readonly ("read" | "write" | "create" | "describe" | "describeConfigs")[];
}

export interface TopicSpec {
  name: string;
  partitions: number;
  replicationFactor: number;
  /** Broker-side topic config, e.g. { "retention.ms": "-1" } to keep forever. */
  config?: Record<string, string>;
}

export interface OutgoingMessage {
  key: string | Buffer | null;
  value: Buffer;
  /** Sends a tombstone (no value) instead of `value`: a compacted topic then drops the key. */
  tombstone?: boolean;
  headers?: Record<string, string | Buffer>;
  partition?: number;
}

export interface LogRecord {
  topic: string;
  partition: number;
  /** Offset as a decimal string (Kafka offsets are 64-bit). */
  offset: string;
  key: Buffer | null;
  value: Buffer;
  headers: Record<string, Buffer>;
  /** Broker or producer timestamp, epoch millis as a string. */
  timestamp: string;
}

export interface Appended {
  topic: string;
  partition: number;
  offset: string;
}

export interface Appender {
  /**
   * Appends messages to one topic and resolves once every in-sync replica has them (acks=all), with their offsets.
   * Offsets are exact for single-partition topics and for messages given a partition.
   */
  append(topic: string, messages: OutgoingMessage[]): Promise<Appended[]>;
  close(): Promise<void>;
}

export interface Tail {
  stop(): Promise<void>;
}

export interface TailOptions {
  topic: string;
  /** Read from this offset of every partition; "earliest" replays the whole log. */
  from: "earliest" | "latest" | { partition: number; offset: string }[];
  /** Called once per fetched batch, in offset order per partition. */
  onBatch: (records: LogRecord[]) => Promise<void>;
}

/** What reads a one-partition topic from a position (KafkaClient): the log followers' only need of Kafka. */
export interface TailSource {
  /** The next offset to be written in a topic that must have exactly one partition; refused otherwise. */
  endOffsetOfOnlyPartition(topic: string): Promise<bigint>;
  tail(opts: TailOptions): Promise<Tail>;
}

/**
 * What a group member's batch handler can do with the batch it was given. The handler may return before the
 * batch's work is done (to be given the next batch meanwhile) and call `commit` later: the group's offset moves
 * only by `commit`, never by fetching on.
 */
export interface GroupBatch {
  readonly partition: number;
  readonly records: LogRecord[];
  /** Lets the consumer fetch past a record: the next batch of this partition starts after it. Commits nothing. */
  resolve(record: LogRecord): void;
  /**
   * Commits the group's offset past a record: a restarted member, or the one that takes the partition over,
   * resumes after it. Only for records whose work is done, in order; resolves once the broker has it.
   */
  commit(record: LogRecord): Promise<void>;
  /** Keeps the membership alive during long work. */
  heartbeat(): Promise<void>;
  /** True once the partition was taken away (rebalance) or the consumer is stopping: stop working on the batch. */
  isStale(): boolean;
  /** Stops fetching this partition; after `resume()` fetching starts again at `from` (a record not yet committed). */
  pause(from: LogRecord): void;
}

export interface GroupOptions {
  groupId: string;
  topic: string;
  /** Where a group without a committed offset starts. */
  fromBeginning: boolean;
  /** Time without heartbeats after which the broker hands the partitions to another member (min 6 s on stock brokers). */
  sessionTimeoutMs?: number;
  onBatch: (batch: GroupBatch) => Promise<void>;
  /** Called with this member's partitions of the topic after every rebalance ([] = standby). */
  onAssignment?: (partitions: number[]) => void;
}

export interface GroupMember {
  /** Fetch again from the last resolved offset after `pause()` (no-op when not paused). */
  resume(): void;
  /** Moves this member's position on an assigned partition (a batch fetched before is then stale). */
  seek(partition: number, offset: string): void;
  /** Commits what was resolved and leaves the group (the partitions move to another member at once). */
  stop(): Promise<void>;
}
