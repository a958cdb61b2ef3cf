/**
 * The runs a cluster worker's fast path started (keys reconciled as soon as the projection folded them), kept
 * until the cursor's batch with those records claims them instead of reconciling the keys again.
 *
 * A run covers a key's records up to the offset the projection had folded when the run was asked for: reconcile
 * reads the projection when it runs, and KeyQueue never hands out a run that had already started. Offsets are
 * those of the objects log's one partition (the projection's `waitFor` assumes the same).
 */
export interface EarlyRun<R> {
  readonly through: bigint;
  readonly run: Promise<R>;
  /** Set once the run has ended. */
  result?: R;
}

export class EarlyRuns<R> {
  private readonly runs = new Map<string, EarlyRun<R>>();

  /**
   * @param max runs kept at most; the oldest go first (their keys are then reconciled again by the cursor).
   * @param covers whether a run that ended with this result covers its records (a run that found the member
   *   unreachable does not: the cursor goes back and reconciles the key again once the member is back).
   */
  constructor(
    private readonly max: number,
    private readonly covers: (result: R) => boolean,
  ) {}

  get size(): number {
    return this.runs.size;
  }

  /** Records a run asked for once the projection had folded through `through`. */
  add(key: string, through: bigint, run: Promise<R>): void {
    const early: EarlyRun<R> = { through, run };
    run.then(
      (r) => (early.result = r),
      () => undefined, // the cursor's batch that claims it sees the rejection
    );
    this.runs.delete(key);
    this.runs.set(key, early);
    while (this.runs.size > this.max) this.runs.delete(this.runs.keys().next().value!);
  }

  /**
   * The run to wait for instead of reconciling `key` for records up to offset `upTo`, if one covers them. A run
   * that cannot cover them or any later record (asked for before `upTo`, or ended unreachable) is dropped.
   */
  claim(key: string, upTo: bigint): Promise<R> | undefined {
    const early = this.runs.get(key);
    if (!early) return undefined;
    const usable = early.result === undefined || this.covers(early.result);
    // Exactly as far as these records, or useless: nothing later can take it. Further: a later batch may too.
    if (early.through <= upTo || !usable) this.runs.delete(key);
    return early.through >= upTo && usable ? early.run : undefined;
  }

  clear(): void {
    this.runs.clear();
  }
}
