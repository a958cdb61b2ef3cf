/**
 * The history endpoints under /federation/ (see docs/history.md): authenticated like every request, labelled with
 * a verb and resource "history" for metrics. One object's history needs `get` on that object, its restore `create`
 * and `update` on it (a restore may recreate it); the queries across objects are authorized by the server as
 * non-resource URLs, which only cluster-admin-like roles grant.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { UserInfo } from "./auth.ts";
import { resourceAttributes, type Authorizer } from "./authz.ts";
import type { Handlers } from "./handlers.ts";
import type { HistoryIndex } from "./historyindex.ts";
import { changeHistory, namedKey, objectHistory, resourceVersionAt } from "./history.ts";
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
  authz: Pick<Authorizer, "check">;
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

/** The endpoints about one named object, authorized here on that object rather than as a non-resource URL. */
export const isObjectHistoryPath = (path: string): boolean =>
  path === "/federation/history" || path === "/federation/restore";

function authorizeObject(d: HistoryRouteDeps, user: UserInfo, q: URLSearchParams, verbs: readonly string[]): void {
  const { rt, name } = namedKey(q, "resource=TYPE&name=NAME[&namespace=NS]");
  const namespace = rt.namespaced ? q.get("namespace") || "default" : undefined;
  for (const verb of verbs)
    d.authz.check(user, resourceAttributes(verb, { rt, name, ...(namespace ? { namespace } : {}) }));
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
  if (path === "/federation/history") authorizeObject(d, user, q, ["get"]);
  if (path === "/federation/restore") authorizeObject(d, user, q, ["create", "update"]);
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
