/**
 * The HTTPS front of the federation API: health, metrics, discovery and OpenAPI, then authenticated resource
 * requests routed to the verbs. Every failure is answered through `toApiError` as a Kubernetes Status.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Logger } from "pino";
import type { Authenticator, UserInfo } from "./auth.ts";
import { pathAttributes, requestVerb, resourceAttributes, type Authorizer } from "./authz.ts";
import { impersonate } from "./impersonation.ts";
import { accessReview, rulesReview, selfReview } from "./reviews.ts";
import { discoveryResponse } from "./discovery.ts";
import { openapiResponse } from "./openapi.ts";
import type { Handlers, WriteContext } from "./handlers.ts";
import { parseBody, parseResourcePath, readBody, sendError, sendJson, type ResourcePath } from "./http.ts";
import { applyPatch, PatchType } from "./patch.ts";
import { ApiError, Reason, toApiError } from "./status.ts";
import { toTable, wantsTable } from "./table.ts";
import { historyRoute, isHistoryPath, isObjectHistoryPath, type HistoryRouteDeps } from "./historyroutes.ts";
import { isReview } from "./resources.ts";

export interface ServerDeps {
  /** The history endpoints (/federation/history, changes, resourceversion, restore). */
  history: Omit<HistoryRouteDeps, "handlers" | "authz">;
  auth: Authenticator;
  /** RBAC over the log's Roles, ClusterRoles and bindings: every request past authentication is authorized. */
  authz: Authorizer;
  handlers: Handlers;
  logger: Logger;
  maxBodyBytes: number;
  maxWatchTimeoutS: number;
  ready: () => boolean;
  registry: Registry;
}

export function createMetrics(): {
  registry: Registry;
  requests: Counter;
  latency: Histogram;
  appended: Counter;
  denied: Counter;
} {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({
      name: "kubefed_ingest_requests_total",
      help: "API requests by verb, resource and code",
      labelNames: ["verb", "resource", "code"],
      registers: [registry],
    }),
    latency: new Histogram({
      name: "kubefed_ingest_request_duration_seconds",
      help: "API request latency by verb",
      labelNames: ["verb"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    appended: new Counter({
      name: "kubefed_ingest_events_appended_total",
      help: "Events appended to the objects log, by type",
      labelNames: ["type"],
      registers: [registry],
    }),
    denied: new Counter({
      name: "kubefed_ingest_authorization_denied_total",
      help: "Requests RBAC refused (403), by verb and resource (or non-resource path)",
      labelNames: ["verb", "resource"],
      registers: [registry],
    }),
  };
}

export function createRequestHandler(deps: ServerDeps, metrics: ReturnType<typeof createMetrics>) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const requestId = randomUUID();
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? "/", "https://federation");
    let verb = req.method?.toLowerCase() ?? "get";
    let resource = "";
    res.on("finish", () => {
      metrics.requests.inc({ verb, resource, code: String(res.statusCode) });
      metrics.latency.observe({ verb }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    route(deps, req, res, url, requestId, (v, r) => {
      verb = v;
      resource = r;
    }).catch((err: unknown) => {
      const { error, internal } = toApiError(err);
      if (internal)
        deps.logger.error(
          { err: internal, cause: internal.cause, requestId, method: req.method, path: url.pathname },
          "request failed",
        );
      if (res.headersSent) res.end();
      else sendError(res, error);
    });
  };
}

async function route(
  deps: ServerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  requestId: string,
  label: (verb: string, resource: string) => void,
): Promise<void> {
  const path = url.pathname.replace(/\/+$/, "") || "/";
  if (path === "/livez" || path === "/healthz") return void res.end("ok");
  if (path === "/readyz") {
    const ok = deps.ready();
    res.writeHead(ok ? 200 : 503, { "content-type": "text/plain" });
    return void res.end(ok ? "ok" : "read model not caught up with the log yet");
  }
  if (path === "/version") {
    const d = discoveryResponse(path, req.headers.accept ?? "");
    if (d) return void send(res, d);
  }
  const user = impersonate(deps.authz, deps.auth.authenticate(req), req.headers);
  // One object's history and its restore are authorized on that object (historyroutes.ts); queries across
  // objects (/federation/changes, /federation/resourceversion) as non-resource URLs, like /metrics.
  if (!path.startsWith("/api/") && !path.startsWith("/apis/") && !isObjectHistoryPath(path))
    deps.authz.check(
      user,
      pathAttributes(req.method === "GET" || req.method === "HEAD" ? "get" : verbOfPath(req.method), path),
    );
  if (path === "/metrics") {
    res.writeHead(200, { "content-type": deps.registry.contentType });
    return void res.end(await deps.registry.metrics());
  }
  if (isHistoryPath(path))
    return historyRoute(
      { ...deps.history, handlers: deps.handlers, authz: deps.authz },
      req,
      res,
      path,
      url.searchParams,
      user as UserInfo,
      requestId,
      label,
    );
  const accept = req.headers.accept ?? "";
  const doc = path.startsWith("/openapi/") ? openapiResponse(path, accept) : discoveryResponse(path, accept);
  if (doc) {
    if (path.startsWith("/api")) deps.authz.check(user, pathAttributes("get", path));
    return void send(res, doc);
  }

  const p = parseResourcePath(path);
  if (!p) throw new ApiError(Reason.NotFound, "the server could not find the requested resource");
  const method = req.method ?? "GET";
  const q = url.searchParams;
  const verb = requestVerb(method, p, q);
  label(verb, p.rt.resource);
  deps.authz.check(user, resourceAttributes(verb, p));
  const h = deps.handlers;
  const ctx = (): WriteContext => ({
    user: user as UserInfo,
    requestId,
    dryRun: q.getAll("dryRun").includes("All"),
    fieldValidation: q.get("fieldValidation") ?? "Warn",
    ...(q.get("fieldManager") ? { fieldManager: q.get("fieldManager")! } : {}),
    warnings: [],
  });
  const body = async (accepted?: string[]) =>
    parseBody(await readBody(req, deps.maxBodyBytes), req.headers["content-type"], accepted);
  const answer = (status: number, obj: unknown, c?: WriteContext) => {
    const headers: Record<string, string> = {};
    if (c && c.warnings.length > 0) headers.warning = c.warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(", ");
    sendJson(res, status, obj, headers);
  };
  if (isReview(p.rt)) {
    if (verb !== "create")
      throw new ApiError(Reason.MethodNotAllowed, `the server does not allow this method on the requested resource`);
    const review = await body();
    const index = deps.authz.rbac();
    if (p.rt.resource === "selfsubjectaccessreviews") return void sendJson(res, 201, accessReview(index, user, review));
    if (p.rt.resource === "selfsubjectrulesreviews") return void sendJson(res, 201, rulesReview(index, user, review));
    return void sendJson(res, 201, selfReview(user));
  }
  const { rt, namespace, name, subresource } = p;

  const table = wantsTable(req.headers.accept) && subresource === undefined;
  const includeObject = q.get("includeObject") ?? "Metadata";
  switch (verb) {
    case "get": {
      if (subresource === "scale") return answer(200, h.scale(rt, namespace, name!));
      const obj = h.get(rt, namespace, name!) as Record<string, any>;
      return answer(
        200,
        table ? toTable(rt, [obj], String(obj.metadata?.resourceVersion ?? ""), Date.now(), includeObject) : obj,
      );
    }
    case "list": {
      const list = h.list(rt, namespace, q) as Record<string, any>;
      return answer(
        200,
        table
          ? {
              ...toTable(rt, list.items, list.metadata.resourceVersion, Date.now(), includeObject),
              metadata: list.metadata,
            }
          : list,
      );
    }
    case "watch":
      return h.watch(
        res,
        rt,
        namespace,
        q,
        deps.maxWatchTimeoutS,
        table ? (o) => toTable(rt, [o as Record<string, any>], "", Date.now(), includeObject) : undefined,
      );
    case "create": {
      if (name !== undefined) throw new ApiError(Reason.MethodNotAllowed, "POST is not allowed on a named resource");
      const c = ctx();
      return answer(201, await h.create(rt, namespace, await body(), c), c);
    }
    case "update": {
      const c = ctx();
      const b = await body();
      if (subresource === "scale")
        return answer(200, await h.writeScale(rt, namespace, name!, b as Record<string, unknown>, c), c);
      return answer(200, await h.update(rt, namespace, name!, b, c, subresource === "status"), c);
    }
    case "patch": {
      const c = ctx();
      const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim();
      const patchTypes: string[] = Object.values(PatchType);
      if (!patchTypes.includes(type)) {
        throw new ApiError(
          Reason.UnsupportedMediaType,
          `the body of the request was in an unknown format - accepted media types include: ${patchTypes.join(", ")}`,
        );
      }
      const raw = await readBody(req, deps.maxBodyBytes);
      const patch = parseBody(raw, type === PatchType.Apply ? "application/yaml" : "application/json");
      if (subresource === "scale") {
        const next = applyPatch(type, h.scale(rt, namespace, name!), patch) as Record<string, unknown>;
        return answer(200, await h.writeScale(rt, namespace, name!, next, c), c);
      }
      return answer(200, await h.patch(rt, namespace, name!, type, patch, c, subresource === "status"), c);
    }
    case "delete": {
      const c = ctx();
      const raw = await readBody(req, deps.maxBodyBytes);
      const opts = raw.length > 0 ? parseBody(raw, req.headers["content-type"]) : undefined;
      return answer(200, await h.delete(rt, namespace, name!, opts, c), c);
    }
    case "deletecollection":
      return answer(200, await h.deleteCollection(rt, namespace, q, ctx()));
    default:
      throw new ApiError(Reason.MethodNotAllowed, `the server does not allow this method on the requested resource`);
  }
}

function send(
  res: ServerResponse,
  d: { status: number; contentType: string; body: Buffer | string; headers?: Record<string, string> },
): void {
  res.writeHead(d.status, { ...d.headers, "content-type": d.contentType, "content-length": Buffer.byteLength(d.body) });
  res.end(d.body);
}

/** The verb of a non-resource request: lower-cased HTTP method, as kube-apiserver's RequestInfo has it. */
const verbOfPath = (method: string | undefined) => (method ?? "get").toLowerCase();
