/** The benchmarks' HTTPS client: one keep-alive agent per target, JSON bodies, and what counts as an answer. */
import { readFileSync } from "node:fs";
import { Agent, request } from "node:https";
import type { EnvironmentInfo, Federation } from "@kubefed/localenv";

export interface Target {
  name: string;
  base: string;
  agent: Agent;
  headers: Record<string, string>;
}

export function send(t: Target, method: string, path: string, body: unknown, contentType: string): Promise<number> {
  return new Promise((res, rej) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      `${t.base}${path}`,
      {
        method,
        agent: t.agent,
        headers: {
          ...t.headers,
          ...(text ? { "content-type": contentType, "content-length": Buffer.byteLength(text) } : {}),
        },
      },
      (r) => {
        const chunks: Buffer[] = [];
        r.on("data", (c: Buffer) => chunks.push(c));
        r.on("end", () =>
          (r.statusCode ?? 0) >= 300 && r.statusCode !== 409
            ? rej(
                new Error(
                  `${t.name} ${method} ${path}: HTTP ${r.statusCode} ${Buffer.concat(chunks).toString().slice(0, 200)}`,
                ),
              )
            : res(r.statusCode ?? 0),
        );
      },
    );
    req.on("error", rej);
    req.end(text);
  });
}

/**
 * One request; a keep-alive connection the server closed just as it was reused ("socket hang up") is retried
 * once, and a create that then finds its object (409: the first attempt did land) counts as done.
 */
export async function call(
  t: Target,
  method: string,
  path: string,
  body?: unknown,
  contentType = "application/json",
): Promise<void> {
  let status: number;
  try {
    status = await send(t, method, path, body, contentType);
    if (status === 409) throw new Error(`${t.name} ${method} ${path}: HTTP 409`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ECONNRESET") throw e;
    await send(t, method, path, body, contentType);
  }
}

export const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

export function memberTarget(m: EnvironmentInfo["members"][number]): Target {
  return {
    name: m.name,
    base: m.server,
    agent: new Agent({
      keepAlive: true,
      ca: readFileSync(m.caFile),
      cert: readFileSync(m.clientCert),
      key: readFileSync(m.clientKey),
    }),
    headers: {},
  };
}

export function federationTarget(fed: Federation): Target {
  return {
    name: "federation",
    base: fed.url,
    agent: new Agent({ keepAlive: true, ca: readFileSync(fed.caFile) }),
    headers: { authorization: `Bearer ${fed.token}` },
  };
}
