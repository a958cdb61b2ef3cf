/**
 * Runs work per key with bounded concurrency: one run per key at a time (a key asked for while running runs
 * again right after, once), and at most `limit` keys at once.
 */
export class KeyQueue<T> {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly inFlight = new Map<string, { promise: Promise<T>; again?: Promise<T> }>();

  constructor(
    private readonly limit: number,
    private readonly work: (key: string) => Promise<T>,
  ) {}

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
    const entry: { promise: Promise<T>; again?: Promise<T> } = { promise: undefined as unknown as Promise<T>, ...(placeholder?.again ? { again: placeholder.again } : {}) };
    entry.promise = (async () => {
      await this.slot();
      try {
        return await this.work(key);
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
