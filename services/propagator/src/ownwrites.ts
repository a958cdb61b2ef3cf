/**
 * The worker's own writes to a member, so that their echoes on the member's watch are not taken for drift: the
 * resourceVersion each object had in the answer to its last write, and, since the echo of a write usually
 * arrives before its answer, the watch events of a key whose reconcile is running, held until that run ends.
 */

/** What a watch event says about a key. `relevant`: the object is ours there, or was, or is wanted there. */
export interface ObservedChange {
  readonly resourceVersion: string;
  readonly deleted: boolean;
  readonly relevant: boolean;
}

export class OwnWrites {
  /** resourceVersion of each object as this worker last wrote it. */
  private readonly written = new Map<string, string>();
  /** Keys being reconciled, with the latest watch event of each that arrived meanwhile. */
  private readonly running = new Map<string, ObservedChange | null>();

  /** A reconcile of the key starts. */
  begin(key: string): void {
    this.running.set(key, null);
  }

  /** A write of the key was answered with this resourceVersion: its watch event will echo it. */
  wrote(key: string, resourceVersion: string): void {
    this.written.set(key, resourceVersion);
  }

  /**
   * The reconcile of the key ended. True when a watch event held meanwhile calls for another run: it was
   * relevant and not the echo of this run's write.
   */
  end(key: string): boolean {
    const seen = this.running.get(key);
    this.running.delete(key);
    const ours = this.written.get(key);
    if (seen && ours !== undefined && !seen.deleted && seen.resourceVersion === ours) {
      this.written.delete(key);
      return false;
    }
    return seen?.relevant ?? false;
  }

  /**
   * A watch event of the key. True when it calls for a reconcile now: relevant, not our own echo, and no run of
   * the key is under way (that run decides it when it ends).
   */
  observed(key: string, change: ObservedChange): boolean {
    if (this.running.has(key)) {
      const held = this.running.get(key);
      this.running.set(key, { ...change, relevant: change.relevant || (held?.relevant ?? false) });
      return false;
    }
    const ours = this.written.get(key);
    if (ours !== undefined) {
      this.written.delete(key);
      if (!change.deleted && ours === change.resourceVersion) return false;
    }
    return change.relevant;
  }

  /** The watches stopped: the echoes of earlier writes will not come. */
  forgetWritten(): void {
    this.written.clear();
  }
}
