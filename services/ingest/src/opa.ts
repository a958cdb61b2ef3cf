/**
 * The ingest's client of Open Policy Agent's REST API: policy modules in (PUT/DELETE /v1/policies/<id>), a
 * document out (POST /v1/data/<path> with an input). Every failure, including a timeout, is a FederationError
 * (`Unavailable` when OPA did not answer, `Internal` when it answered something unusable).
 */
import { ErrorCode, FederationError, toFederationError, type JsonValue } from "@kubefed/events";

export interface OpaClientOptions {
  readonly url: string;
  readonly timeoutMs: number;
}

export class OpaClient {
  private readonly base: string;

  constructor(private readonly o: OpaClientOptions) {
    this.base = o.url.replace(/\/+$/, "");
  }

  private async call(method: string, path: string, body?: string, type = "application/json"): Promise<Response> {
    try {
      return await fetch(`${this.base}${path}`, {
        method,
        ...(body !== undefined ? { body, headers: { "content-type": type } } : {}),
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
    } catch (e) {
      throw new FederationError(
        ErrorCode.Unavailable,
        `the policy engine at ${this.base} did not answer: ${toFederationError(e).message}`,
        { retryable: true },
      );
    }
  }

  /** Loads (or replaces) a Rego module; a module that does not compile is refused with OPA's message. */
  async putPolicy(id: string, rego: string): Promise<void> {
    const res = await this.call("PUT", `/v1/policies/${encodeURIComponent(id)}`, rego, "text/plain");
    if (res.ok) return void (await res.body?.cancel());
    const text = await res.text();
    let message = text;
    try {
      const e = JSON.parse(text) as { message?: string; errors?: { message?: string; location?: { row?: number } }[] };
      message = [e.message, ...(e.errors ?? []).map((x) => `line ${x.location?.row ?? "?"}: ${x.message}`)]
        .filter(Boolean)
        .join("; ");
    } catch {
      // Not JSON: OPA's text as it is.
    }
    throw new FederationError(
      res.status === 400 ? ErrorCode.Invalid : ErrorCode.Internal,
      `the policy engine refused the policy: ${message}`,
    );
  }

  async deletePolicy(id: string): Promise<void> {
    const res = await this.call("DELETE", `/v1/policies/${encodeURIComponent(id)}`);
    await res.body?.cancel();
  }

  /** The document at a data path for `input`; undefined when nothing is defined there (e.g. no such package). */
  async query(path: string, input: JsonValue): Promise<JsonValue | undefined> {
    const res = await this.call("POST", `/v1/data/${path}`, JSON.stringify({ input }));
    const text = await res.text();
    if (!res.ok)
      throw new FederationError(ErrorCode.Internal, `the policy engine answered ${res.status}: ${text.slice(0, 300)}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new FederationError(
        ErrorCode.Internal,
        `the policy engine answered something that is not JSON: ${text.slice(0, 100)}`,
      );
    }
    if (typeof body !== "object" || body === null || Array.isArray(body))
      throw new FederationError(ErrorCode.Internal, "the policy engine's answer is not a JSON object");
    return (body as { result?: JsonValue }).result;
  }
}
