/**
 * Lists as they were: `resourceVersion=RV&resourceVersionMatch=Exact` on a list, as Kubernetes defines it, answered
 * from the history index for any resourceVersion the log holds (kube-apiserver can only within etcd's compaction
 * window). Pages carry the resourceVersion in their continue token, so every page reads the same moment.
 */
import type { KubeObject } from "@kubefed/events";
import type { HistoryIndex } from "./historyindex.ts";
import { exactResourceVersion, listAt } from "./history.ts";
import { groupVersion, type ResourceType } from "./resources.ts";
import { ApiError, Reason } from "./status.ts";

interface ExactToken {
  start: number;
  rv: number;
}

function exactToken(q: URLSearchParams): ExactToken | undefined {
  const t = q.get("continue");
  if (!t) return undefined;
  try {
    const v = JSON.parse(Buffer.from(t, "base64url").toString("utf8")) as Partial<ExactToken>;
    if (Number.isSafeInteger(v.rv) && Number.isSafeInteger(v.start)) return v as ExactToken;
  } catch {
    // not one of ours: the ordinary list refuses it
  }
  return undefined;
}

/** True when a list asks for a past moment: resourceVersionMatch=Exact, or a page of such a list. */
export function isExactList(q: URLSearchParams): boolean {
  return q.get("resourceVersionMatch") === "Exact" || exactToken(q) !== undefined;
}

export function exactList(
  index: HistoryIndex,
  rt: ResourceType,
  namespace: string | undefined,
  q: URLSearchParams,
  match: (o: KubeObject) => boolean,
  ready: boolean,
): Record<string, unknown> {
  if (!ready)
    throw new ApiError(
      Reason.ServiceUnavailable,
      `the history index is still reading the log (at offset ${index.next}); try again shortly`,
      { retryAfterSeconds: 1 },
    );
  const token = exactToken(q);
  const rv = token ? token.rv : exactResourceVersion(index, q.get("resourceVersion"));
  const all = listAt(index, rt, namespace, rv).filter(match);
  const limit = Number(q.get("limit") ?? "0");
  if (!Number.isSafeInteger(limit) || limit < 0)
    throw new ApiError(Reason.BadRequest, `limit "${q.get("limit")}" is not a non-negative integer`);
  const start = token?.start ?? 0;
  const page = limit > 0 ? all.slice(start, start + limit) : all.slice(start);
  const more = limit > 0 && start + limit < all.length;
  return {
    apiVersion: groupVersion(rt),
    kind: `${rt.kind}List`,
    metadata: {
      resourceVersion: String(rv),
      ...(more
        ? {
            continue: Buffer.from(JSON.stringify({ start: start + limit, rv })).toString("base64url"),
            remainingItemCount: all.length - start - limit,
          }
        : {}),
    },
    items: page,
  };
}
