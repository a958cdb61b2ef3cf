/** Request plumbing: bounded body reading, content types, parsed paths. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { parse as parseYaml } from "yaml";
import { toFederationError } from "@kubefed/events";
import { ApiError, Reason, statusOf } from "./status.ts";
import { findResource, RESOURCES, type ResourceType } from "./resources.ts";
import { decodeKubeProtobuf, isKubeProtobuf } from "./protobuf.ts";

/** What object bodies (create, update, DeleteOptions) may be sent as. */
export const BODY_MEDIA_TYPES = ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"];

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > limit) {
    req.resume();
    return Promise.reject(
      new ApiError(Reason.RequestEntityTooLarge, `the request body is ${declared} bytes; the limit is ${limit}`),
    );
  }
  // Plain stream events: an async iterator over the request costs more than the rest of reading a small body.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      reject(e);
    };
    req.on("data", (c: Buffer) => {
      if (settled) return;
      size += c.length;
      if (size > limit) {
        fail(new ApiError(Reason.RequestEntityTooLarge, `the request body is larger than the limit of ${limit} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => {
      if (settled) return;
      settled = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    req.on("error", fail);
    // Closed before the end: the client went away mid-body.
    req.on("close", () => fail(new Error("the client closed the connection before sending the whole body")));
  });
}

/** Parses a JSON, YAML or Kubernetes protobuf body according to Content-Type; anything else is 415. */
export function parseBody(
  body: Buffer,
  contentType: string | undefined,
  accepted: string[] = BODY_MEDIA_TYPES,
): unknown {
  const type = (contentType ?? "application/json").split(";")[0]!.trim().toLowerCase();
  if (!accepted.includes(type)) {
    throw new ApiError(
      Reason.UnsupportedMediaType,
      `the body of the request was in an unknown format - accepted media types include: ${accepted.join(", ")}`,
    );
  }
  if (isKubeProtobuf(type)) {
    try {
      return decodeKubeProtobuf(body);
    } catch (e) {
      throw new ApiError(
        Reason.BadRequest,
        `the request body is not a valid Kubernetes protobuf object: ${toFederationError(e).message}`,
      );
    }
  }
  const text = body.toString("utf8");
  if (text.trim() === "") throw new ApiError(Reason.BadRequest, "the request body is empty");
  try {
    return type.endsWith("yaml") ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new ApiError(
      Reason.BadRequest,
      `the request body is not valid ${type.endsWith("yaml") ? "YAML" : "JSON"}: ${toFederationError(e).message.split("\n")[0]}`,
    );
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendError(res: ServerResponse, err: ApiError): void {
  const headers: Record<string, string> = {};
  // The client may still be sending the rest of a body we refused: do not reuse this connection.
  if (err.code === 413) headers.connection = "close";
  if (err.details?.retryAfterSeconds !== undefined) headers["retry-after"] = String(err.details.retryAfterSeconds);
  sendJson(res, err.code, statusOf(err), headers);
}

/** A parsed resource URL: /api/v1/... or /apis/<group>/<version>/... */
export interface ResourcePath {
  rt: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export function parseResourcePath(pathname: string): ResourcePath | undefined {
  const parts = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === "api" && parts.length >= 3) {
    [group, version, rest] = ["", parts[1]!, parts.slice(2)];
  } else if (parts[0] === "apis" && parts.length >= 4) {
    [group, version, rest] = [parts[1]!, parts[2]!, parts.slice(3)];
  } else return undefined;
  let namespace: string | undefined;
  // /namespaces/<ns>/<resource>/... is namespaced; /namespaces[/<name>[/status]] is the Namespace itself.
  if (
    rest[0] === "namespaces" &&
    rest.length >= 3 &&
    group + rest[2] !== "status" &&
    !(group === "" && rest.length === 3 && (rest[2] === "status" || rest[2] === "finalize"))
  ) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, subresource, ...extra] = rest;
  if (resource === undefined || extra.length > 0) return undefined;
  const rt = findResource(group, version, resource);
  if (!rt) {
    const known = RESOURCES.some((r) => r.group === group && r.version === version);
    if (!known) return undefined;
    throw new ApiError(Reason.NotFound, `the server could not find the requested resource`);
  }
  if (namespace !== undefined && !rt.namespaced) return undefined;
  if (subresource !== undefined && !(rt.subresources as string[]).includes(subresource)) {
    throw new ApiError(
      Reason.NotFound,
      `the server could not find the requested resource (${rt.resource}/${subresource})`,
    );
  }
  return {
    rt,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(subresource !== undefined ? { subresource } : {}),
  };
}
