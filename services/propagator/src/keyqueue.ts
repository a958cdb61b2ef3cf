/** When a KeyQueue runs a key again by itself. */
export interface RetryPolicy<T> {
  /** Delays before a key's 1st, 2nd, ... retry; the last one repeats. */
  readonly backoffMs: readonly number[];
  /** A run that ended so failed: the key is retried after the next delay. */
  failed(result: T): boolean;
  /**
   * A run that ended so did not get to try (its target did not answer): a retry already owed stays owed, and a
   * retry's own run that ends so is retried again; otherwise no retry is owed (whoever asked covers the key).
   */
  untried(result: T): boolean;
}

/** The delay before a key's `attempt`th retry (1-based). */
export const backoffDelay = (backoffMs: readonly number[], attempt: number): number =>
  backoffMs[Math.min(attempt, backoffMs.length) - 1] ?? 0;

/**
 * Runs work per key with bounded concurrency: one run per key at a time (a key asked for while running runs
 * again right after, once), and at most `limit` keys at once. With a retry policy, a key whose run failed runs
 * again after a backoff, outside any caller's wait; any run that does not fail ends the key's backoff.
 */
export class KeyQueue<T> {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly inFlight = new Map<string, { promise: Promise<T>; again?: Promise<T> }>();
  /** Keys owed a retry: how many in a row, and the timer (undefined once it fired, until the run's result is in). */
  private readonly retries = new Map<string, { attempt: number; timer: NodeJS.Timeout | undefined }>();
  private stopped = false;

  constructor(
    private readonly limit: number,
    private readonly work: (key: string) => Promise<T>,
    private readonly retry?: RetryPolicy<T>,
  ) {}

  /** Keys owed a retry. */
  get retrying(): number {
    return this.retries.size;
  }

  /** Drops every retry owed, and owes none from now on. */
  stop(): void {
    this.stopped = true;
    for (const r of this.retries.values()) clearTimeout(r.timer);
    this.retries.clear();
  }

  get size(): number {
    return this.inFlight.size;
  }

  /** Runs `work(key)`; when the key is already running, runs it once more after (callers share that run). */
  run(key: string): Promise<T> {
    const current = this.inFlight.get(key);
    if (current) {
      current.again ??= current.promise.then(
        () => this.start(key),
        () => this.start(key),
      );
      return current.again;
    }
    return this.start(key);
  }

  private start(key: string): Promise<T> {
    // A re-run asked for while this run was being scheduled stays the one re-run (never two runs at once).
    const placeholder = this.inFlight.get(key);
    const entry: { promise: Promise<T>; again?: Promise<T> } = {
      promise: undefined as unknown as Promise<T>,
      ...(placeholder?.again ? { again: placeholder.again } : {}),
    };
    entry.promise = (async () => {
      await this.slot();
      try {
        const result = await this.work(key);
        this.afterRun(key, result);
        return result;
      } finally {
        this.release();
        if (this.inFlight.get(key) === entry) {
          if (entry.again) this.inFlight.set(key, { promise: entry.again });
          else this.inFlight.delete(key);
        }
      }
    })();
    this.inFlight.set(key, entry);
    return entry.promise;
  }

  private afterRun(key: string, result: T): void {
    if (!this.retry) return;
    const owed = this.retries.get(key);
    if (this.retry.failed(result)) this.retryLater(key, (owed?.attempt ?? 0) + 1);
    else if (!this.retry.untried(result)) this.forgetRetry(key);
    else if (owed && owed.timer === undefined) this.retryLater(key, owed.attempt + 1);
  }

  private retryLater(key: string, attempt: number): void {
    if (this.stopped) return;
    this.forgetRetry(key);
    const entry: { attempt: number; timer: NodeJS.Timeout | undefined } = { attempt, timer: undefined };
    entry.timer = setTimeout(
      () => {
        entry.timer = undefined;
        // Its result is for the policy; a failure of the work itself is the work's to report.
        if (!this.stopped) this.run(key).catch(() => undefined);
      },
      backoffDelay(this.retry!.backoffMs, attempt),
    );
    entry.timer.unref();
    this.retries.set(key, entry);
  }

  private forgetRetry(key: string): void {
    const owed = this.retries.get(key);
    if (!owed) return;
    clearTimeout(owed.timer);
    this.retries.delete(key);
  }

  private slot(): Promise<void> {
    if (this.running < this.limit) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise<void>((r) => this.waiting.push(() => r()));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}
