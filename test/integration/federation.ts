import { readFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import type { Federation } from "@kubefed/localenv";

export { startFederation, type Federation } from "@kubefed/localenv";

export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  text: string;
}

/** A raw HTTPS request to the federation API (for the cases kubectl would refuse to send). */
export function api(
  fed: Federation,
  method: string,
  path: string,
  body?: string | Buffer,
  opts: { contentType?: string; token?: string | null } = {},
): Promise<ApiResponse> {
  return new Promise((resolvePromise, reject) => {
    const headers: Record<string, string> = {};
    if (opts.token !== null) headers.authorization = `Bearer ${opts.token ?? fed.token}`;
    if (body !== undefined) headers["content-type"] = opts.contentType ?? "application/json";
    const req = httpsRequest(`${fed.url}${path}`, { method, headers, ca: readFileSync(fed.caFile) }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body: parsed, text });
      });
    });
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}
