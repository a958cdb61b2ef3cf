/**
 * The history endpoints under /federation/ (see docs/history.md): authenticated like every request, labelled with
 * a verb and resource "history" for metrics (and for authorization, which goes where the other reads' does).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { UserInfo } from "./auth.ts";
import type { Handlers } from "./handlers.ts";
import type { HistoryIndex } from "./historyindex.ts";
import { changeHistory, objectHistory, resourceVersionAt } from "./history.ts";
import { sendJson } from "./http.ts";
import type { ReadModel } from "./readmodel.ts";
import { restore } from "./restore.ts";
import { ApiError, Reason } from "./status.ts";

export interface HistoryRouteDeps {
  history: HistoryIndex;
  handlers: Handlers;
  readModel: Pick<ReadModel, "current">;
  /** False while the index still folds the log before a snapshot the read model started from. */
  historyReady: () => boolean;
}

const ROUTES: Record<string, { method: string; verb: string }> = {
  "/federation/history": { method: "GET", verb: "get" },
  "/federation/changes": { method: "GET", verb: "list" },
  "/federation/resourceversion": { method: "GET", verb: "get" },
  "/federation/restore": { method: "POST", verb: "create" },
};

export function isHistoryPath(path: string): boolean {
  return path in ROUTES;
}

export async function historyRoute(
  d: HistoryRouteDeps,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  q: URLSearchParams,
  user: UserInfo,
  requestId: string,
  label: (verb: string, resource: string) => void,
): Promise<void> {
  const route = ROUTES[path]!;
  label(route.verb, "history");
  if ((req.method ?? "GET") !== route.method)
    throw new ApiError(Reason.MethodNotAllowed, `${path} takes ${route.method}, not ${req.method ?? ""}`);
  req.resume();
  if (!d.historyReady())
    throw new ApiError(
      Reason.ServiceUnavailable,
      `the history index is still reading the log (at offset ${d.history.next}); try again shortly`,
      { retryAfterSeconds: 1 },
    );
  switch (path) {
    case "/federation/history":
      return sendJson(res, 200, objectHistory(d.history, q));
    case "/federation/changes":
      return sendJson(res, 200, changeHistory(d.history, q));
    case "/federation/resourceversion":
      return sendJson(res, 200, resourceVersionAt(d.history, q));
    default: {
      const ctx = {
        user,
        requestId,
        dryRun: q.getAll("dryRun").includes("All"),
        fieldValidation: "Strict",
        warnings: [],
      };
      return sendJson(res, 200, await restore({ index: d.history, ...d }, q, ctx));
    }
  }
}
