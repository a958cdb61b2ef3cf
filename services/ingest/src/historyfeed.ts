/**
 * Feeds the history index. From offset 0 the read model's own fold is enough. When the read model started from a
 * snapshot at P, the revisions before P are read in the background by a second follower that stops at P, while
 * the read model's steps from P on wait in a queue; history answers 503 until both are in.
 */
import type { FederationError, Keyring } from "@kubefed/events";
import { followObjects, type ObjectsStep } from "@kubefed/follower";
import type { TailSource } from "@kubefed/kafka";
import type { HistoryIndex } from "./historyindex.ts";
import type { ReadModel } from "./readmodel.ts";

export class HistoryFeed {
  private pending: ObjectsStep[][] | undefined;

  constructor(
    private readonly index: HistoryIndex,
    readModel: Pick<ReadModel, "subscribeSteps">,
  ) {
    readModel.subscribeSteps((steps) => (this.pending ? this.pending.push([...steps]) : this.index.add(steps)));
  }

  get ready(): boolean {
    return this.pending === undefined;
  }

  /** Call before the read model starts when it may start from a snapshot: live steps wait until `backfill` ends. */
  hold(): void {
    this.pending = [];
  }

  /** Reads the revisions before `until` (the snapshot's position), then adds the live ones that waited. */
  async backfill(o: {
    source: TailSource;
    topic: string;
    keyring: Keyring | undefined;
    until: bigint;
    onSkipped: (offset: string, err: FederationError) => void;
  }): Promise<void> {
    if (o.until > 0n) {
      const follower = followObjects({
        // The end is the snapshot's position: caught up means through it, not through whatever came since.
        source: { endOffsetOfOnlyPartition: async () => o.until, tail: (t) => o.source.tail(t) },
        topic: o.topic,
        keyring: o.keyring,
        onSkipped: o.onSkipped,
      });
      follower.subscribe((steps) => this.index.add(steps.filter((s) => BigInt(s.offset) < o.until)));
      try {
        await follower.start();
      } finally {
        await follower.stop();
      }
    }
    for (const steps of this.pending ?? []) this.index.add(steps);
    this.pending = undefined;
  }
}
