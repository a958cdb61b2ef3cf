import { request as httpsRequest } from "node:https";
import { request as plainHttpRequest } from "node:http";
import { readFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { LocalEnvError } from "./errors.ts";
import { tailFile, type Managed } from "./process.ts";

/** Polls `probe` until it answers true; fails fast with the log tail if the process dies or time runs out. */
export async function waitReady(proc: Managed, probe: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  let exitCode: number | null | undefined;
  void proc.exited.then((c) => {
    exitCode = c;
  });
  while (Date.now() - started < timeoutMs) {
    if (exitCode !== undefined) {
      throw new LocalEnvError(
        proc.name,
        `exited with code ${exitCode} before it became ready; log: ${proc.logFile}`,
        "see the log lines below",
        tailFile(proc.logFile),
      );
    }
    if (await probe().catch(() => false)) return Date.now() - started;
    await sleep(250);
  }
  throw new LocalEnvError(
    proc.name,
    `not ready after ${Math.round(timeoutMs / 1000)}s; log: ${proc.logFile}`,
    "the machine may be overloaded, or the component is misconfigured",
    tailFile(proc.logFile),
  );
}

/** waitReady, and when it fails, the process is stopped before the error (it names the component, with its log tail) goes up. */
export async function readyOrStop(proc: Managed, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  try {
    await waitReady(proc, probe, timeoutMs);
  } catch (err) {
    await proc.stop();
    throw err;
  }
}

export interface TlsFiles {
  ca: string;
  cert?: string;
  key?: string;
}

/** GET a URL; resolves with the status code and body. TLS files are used for https URLs. */
export function httpGet(url: string, tls?: TlsFiles, timeoutMs = 2000): Promise<{ status: number; body: string }> {
  return httpRequest("GET", url, { tls, timeoutMs });
}

/** One HTTP request with an optional body; resolves with the status code and body, whatever the status. */
export function httpRequest(
  method: string,
  url: string,
  opts: { tls?: TlsFiles; body?: string; contentType?: string; timeoutMs?: number } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const tls = opts.tls;
    const req = (u.protocol === "https:" ? httpsRequest : plainHttpRequest)(
      u,
      {
        method,
        timeout: opts.timeoutMs ?? 2000,
        headers: opts.body !== undefined ? { "content-type": opts.contentType ?? "application/json" } : {},
        ...(u.protocol === "https:" && tls
          ? {
              ca: readFileSync(tls.ca),
              cert: tls.cert ? readFileSync(tls.cert) : undefined,
              key: tls.key ? readFileSync(tls.key) : undefined,
            }
          : {}),
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end(opts.body);
  });
}

export function tcpOpen(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ port, host });
    s.setTimeout(1000);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
    s.once("timeout", () => {
      s.destroy();
      resolve(false);
    });
  });
}

/** A port that was free a moment ago on 127.0.0.1 (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Fails with a clear message when a port the user asked for is already taken. */
export async function assertPortFree(component: string, port: number): Promise<void> {
  const free = await new Promise<boolean>((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
  if (!free) {
    throw new LocalEnvError(
      component,
      `port ${port} on 127.0.0.1 is already in use`,
      "stop what listens there, see `ss -ltnp`, or choose other ports",
    );
  }
}
