/**
 * A small client of etcd's v3 JSON gateway (`/v3/kv/range`, `/v3/kv/txn`), built into every etcd: the CoreDNS
 * provider needs ranges and guarded transactions only, so no gRPC client is pulled in. Keys and values are base64
 * on the wire; revisions are decimal strings (int64 in JSON).
 */
import { ErrorCode, FederationError, toFederationError } from "@kubefed/events";

export interface KeyValue {
  readonly key: string;
  readonly value: string;
  readonly modRevision: string;
}

export type TxnOp =
  | { readonly put: string; readonly value: string }
  | { readonly delete: string }
  | { readonly range: string; readonly rangeEnd?: string };

/** A guard on one key: unchanged since it was read (its mod revision), or still absent (modRevision "0"). */
export interface Guard {
  readonly key: string;
  readonly modRevision: string;
}

const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");
const unb64 = (s: string | undefined): string => (s ? Buffer.from(s, "base64").toString("utf8") : "");

/** The end of the range of keys that start with `prefix` (etcd's "prefix" range). */
export const prefixEnd = (prefix: string): string =>
  prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);

interface RawKv {
  key?: string;
  value?: string;
  mod_revision?: string;
}

export class EtcdGateway {
  /** The endpoint that answered last: tried first next time. */
  private current = 0;

  constructor(
    private readonly endpoints: readonly string[],
    private readonly timeoutMs = 5000,
  ) {
    if (endpoints.length === 0) throw new FederationError(ErrorCode.Invalid, "no etcd endpoint given");
  }

  /** Every key in [key, rangeEnd) (or exactly `key`), in key order, read in pages of `pageSize`. */
  async range(key: string, rangeEnd?: string, pageSize = 2000): Promise<KeyValue[]> {
    const out: KeyValue[] = [];
    let from = key;
    for (;;) {
      const body: Record<string, unknown> = { key: b64(from), limit: String(pageSize) };
      if (rangeEnd !== undefined) body.range_end = b64(rangeEnd);
      const res = (await this.call("/v3/kv/range", body)) as { kvs?: RawKv[]; more?: boolean };
      const kvs = (res.kvs ?? []).map(toKv);
      out.push(...kvs);
      if (!res.more || rangeEnd === undefined || kvs.length === 0) return out;
      from = `${kvs[kvs.length - 1]!.key}\0`;
    }
  }

  /**
   * One transaction: when every guard holds, runs `ops` and returns the ranges' results (one array per range op,
   * in order); returns undefined when a guard failed (nothing was done).
   */
  async txn(guards: readonly Guard[], ops: readonly TxnOp[]): Promise<KeyValue[][] | undefined> {
    const compare = guards.map((g) =>
      g.modRevision === "0"
        ? { key: b64(g.key), target: "CREATE", result: "EQUAL", create_revision: "0" }
        : { key: b64(g.key), target: "MOD", result: "EQUAL", mod_revision: g.modRevision },
    );
    const success = ops.map((op) =>
      "put" in op
        ? { request_put: { key: b64(op.put), value: b64(op.value) } }
        : "delete" in op
          ? { request_delete_range: { key: b64(op.delete) } }
          : {
              request_range: {
                key: b64(op.range),
                ...(op.rangeEnd !== undefined ? { range_end: b64(op.rangeEnd) } : {}),
              },
            },
    );
    const res = (await this.call("/v3/kv/txn", { compare, success, failure: [] })) as {
      succeeded?: boolean;
      responses?: { response_range?: { kvs?: RawKv[] } }[];
    };
    if (!res.succeeded) return undefined;
    return (res.responses ?? []).filter((r) => r.response_range).map((r) => (r.response_range!.kvs ?? []).map(toKv));
  }

  private async call(path: string, body: unknown): Promise<unknown> {
    let last: FederationError | undefined;
    for (let i = 0; i < this.endpoints.length; i++) {
      const index = (this.current + i) % this.endpoints.length;
      const endpoint = this.endpoints[index]!;
      let res: Response;
      try {
        res = await fetch(`${endpoint}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (e) {
        last = new FederationError(ErrorCode.Unreachable, `etcd ${endpoint} unreachable: ${reason(e)}`, { cause: e });
        continue;
      }
      const text = await res.text();
      if (res.status !== 200) {
        // etcd's gateway answers gRPC errors as {error, code, message}: too many operations, no leader, ...
        throw new FederationError(
          res.status >= 500 ? ErrorCode.Unavailable : ErrorCode.Invalid,
          `etcd ${endpoint}${path} answered ${res.status}: ${text.slice(0, 300)}`,
          { retryable: true },
        );
      }
      this.current = index;
      return JSON.parse(text) as unknown;
    }
    throw last!;
  }
}

function reason(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? toFederationError(e).message;
}

const toKv = (kv: RawKv): KeyValue => ({
  key: unb64(kv.key),
  value: unb64(kv.value),
  modRevision: kv.mod_revision ?? "0",
});
