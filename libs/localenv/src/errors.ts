/**
 * The one error the local environment throws: it names the component, says what went wrong and what to
 * do, and may carry the tail of the component's log. Its message is meant to be printed as is.
 */
export class LocalEnvError extends Error {
  constructor(
    readonly component: string,
    readonly problem: string,
    readonly remedy: string,
    readonly logTail?: string,
  ) {
    super(`${component}: ${problem}${remedy ? ` (${remedy})` : ""}`);
    this.name = "LocalEnvError";
  }

  /** The full text for a terminal: the one-line message, then the log tail if there is one. */
  describe(): string {
    return this.logTail
      ? `${this.message}\n--- last lines of the ${this.component} log ---\n${this.logTail}`
      : this.message;
  }
}
