/**
 * Writes snapshots of the read model to `<fed>.snapshots` every `interval` events, for every reader of the
 * objects log (ingest replicas, propagators, dns-sync) to start from. The ingest writes them because it is the
 * one writer of desired state (the Kafka ACLs let nobody else write the federation's topics).
 *
 * Why offset X is safe: the state taken is the read model's right after it folded a batch, and the follower's
 * position then is X, so the state is exactly the fold of the records before X; the fold is deterministic and
 * undecodable records are skipped the same way by every reader (a retryable one is fetched again, never skipped),
 * so every reader folding [0, X) reaches this state. Replicas may each write one: any X is as good as another,
 * and the newest manifest wins. The state is immutable, so it is taken at once and encoded a moment later, off the
 * fold's path.
 */
import type { Appender } from "@kubefed/kafka";
import type { SnapshotStore } from "@kubefed/follower";
import type { Logger } from "pino";
import type { ReadModel } from "./readmodel.ts";

export class SnapshotWriter {
  private last: bigint;
  private writing = false;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly o: {
      readModel: ReadModel;
      store: SnapshotStore;
      appender: Pick<Appender, "append">;
      interval: number;
      logger: Logger;
      writer: string;
    },
  ) {
    this.last = o.readModel.startedAt;
  }

  /** Writes whenever `interval` events have been folded since the last snapshot (now, too, if already so). */
  start(): void {
    if (this.o.interval <= 0) return;
    this.unsubscribe = this.o.readModel.subscribeSteps(() => this.maybeWrite());
    this.maybeWrite();
  }

  stop(): void {
    this.unsubscribe?.();
  }

  private maybeWrite(): void {
    const position = this.o.readModel.next;
    if (this.writing || position - this.last < BigInt(this.o.interval)) return;
    this.writing = true;
    const snap = { position, state: this.o.readModel.current, extras: this.o.readModel.snapshotExtras() };
    setImmediate(() => {
      const started = Date.now();
      this.o.store
        .write(this.o.appender, snap, { writtenAt: new Date().toISOString(), writer: this.o.writer })
        .then((m) => {
          this.last = position;
          this.o.logger.info(
            { position: String(position), bytes: m.bytes, chunks: m.chunks, ms: Date.now() - started },
            "wrote a snapshot of the objects state",
          );
        })
        .catch((err: unknown) => this.o.logger.warn({ err, position: String(position) }, "could not write a snapshot"))
        .finally(() => (this.writing = false));
    });
  }
}
