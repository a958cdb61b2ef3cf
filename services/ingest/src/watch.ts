/**
 * Watch: a chunked stream of `{"type","object"}` lines, from any resourceVersion still kept (410 Gone as an
 * ERROR event otherwise, as kube-apiserver does), with bookmarks and timeoutSeconds. Objects are sent with the
 * members' reported status merged in; a change of that status alone is a MODIFIED with the object's unchanged
 * resourceVersion (see statusview.ts for why that is sound).
 */
import type { ServerResponse } from "node:http";
import type { KubeObject } from "@kubefed/events";
import { kindKey as kindKeyOf } from "@kubefed/names";
import { groupVersion, type ResourceType } from "./resources.ts";
import { selectorMatcher } from "./selectors.ts";
import { ApiError, Reason, statusOf } from "./status.ts";
import type { Change, ReadModel } from "./readmodel.ts";
import type { StatusView } from "./statusview.ts";

const BOOKMARK_INTERVAL_MS = 5_000;

export function serveWatch(
  res: ServerResponse,
  rm: ReadModel,
  view: StatusView,
  rt: ResourceType,
  namespace: string | undefined,
  q: URLSearchParams,
  maxTimeoutS: number,
  render: (o: KubeObject) => unknown = (o) => o,
): void {
  const match = selectorMatcher(q.get("labelSelector"), q.get("fieldSelector"), rt.kind);
  const kindKey = kindKeyOf(rt);
  const rvParam = q.get("resourceVersion") ?? "";
  const bookmarks = q.get("allowWatchBookmarks") === "true";
  const requested = Number(q.get("timeoutSeconds") ?? "0");
  // Like kube-apiserver: no timeout given means a random-ish long one, bounded by the server's maximum.
  const timeoutS = requested > 0 ? Math.min(requested, maxTimeoutS) : maxTimeoutS;

  res.writeHead(200, {
    "content-type": "application/json",
    "transfer-encoding": "chunked",
    "cache-control": "no-cache",
  });
  // Clients wait for the headers before reading events; Node sends them only with the first write otherwise.
  res.flushHeaders();
  const send = (type: string, object: unknown) =>
    res.write(
      `${JSON.stringify({ type, object: type === "ADDED" || type === "MODIFIED" || type === "DELETED" ? render(view.merge(object as KubeObject)) : object })}\n`,
    );
  const relevant = (c: Change) =>
    c.kindKey === kindKey &&
    (namespace === undefined || c.namespace === namespace) &&
    match(c.object as Record<string, unknown>);
  let lastRv = 0n;
  const emit = (changes: Change[]) => {
    for (const c of changes) {
      // Status changes share the rv of the objects state they were folded on: never "already seen" by rv alone.
      if (c.rv <= lastRv && c.type !== "DELETED" && !c.status) continue;
      if (relevant(c)) send(c.type, c.object);
    }
    const tail = changes.at(-1);
    if (tail && tail.rv > lastRv) lastRv = tail.rv;
  };

  // Subscribe before replaying so nothing folded in between is missed; duplicates are filtered by rv.
  const pending: Change[] = [];
  let live = false;
  const unsubscribe = rm.subscribe((changes) => {
    if (live) emit(changes);
    else pending.push(...changes);
  });

  if (rvParam === "" || rvParam === "0") {
    // Start with the current state as ADDED events, then follow.
    lastRv = BigInt(rm.resourceVersion);
    for (const o of view.list({ group: rt.group, kind: rt.kind, ...(namespace !== undefined ? { namespace } : {}) })) {
      if (match(o as Record<string, unknown>)) send("ADDED", o);
    }
    // A watch-list request (client-go informers, e.g. `kubectl rollout status`) waits for this bookmark before it
    // uses what it received: without it the client hangs until the watch ends.
    if (q.get("sendInitialEvents") === "true")
      send("BOOKMARK", {
        kind: rt.kind,
        apiVersion: groupVersion(rt),
        metadata: { resourceVersion: String(lastRv), annotations: { "k8s.io/initial-events-end": "true" } },
      });
  } else {
    let from: bigint;
    try {
      from = BigInt(rvParam);
    } catch {
      send("ERROR", statusOf(new ApiError(Reason.BadRequest, `invalid resourceVersion ${JSON.stringify(rvParam)}`)));
      unsubscribe();
      res.end();
      return;
    }
    const since = rm.changesSince(from);
    if (since === undefined) {
      send(
        "ERROR",
        statusOf(new ApiError(Reason.Expired, `too old resource version: ${rvParam} (${rm.oldestWatchable})`)),
      );
      unsubscribe();
      res.end();
      return;
    }
    lastRv = from;
    emit(since);
  }
  emit(pending.filter((c) => c.rv > lastRv || (c.status === true && c.rv === lastRv)));
  live = true;

  const bookmark = bookmarks
    ? setInterval(
        () =>
          send("BOOKMARK", {
            kind: rt.kind,
            apiVersion: groupVersion(rt),
            metadata: { resourceVersion: rm.resourceVersion },
          }),
        BOOKMARK_INTERVAL_MS,
      )
    : undefined;
  const end = () => {
    clearTimeout(timer);
    if (bookmark) clearInterval(bookmark);
    unsubscribe();
    if (!res.writableEnded) res.end();
  };
  const timer = setTimeout(end, timeoutS * 1000);
  res.on("close", end);
}
