import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readBody } from "./http.ts";

/** A loopback server that reads each request's body with a 64-byte limit and reports how it went. */
let server: Server;
let port: number;
const outcomes: Promise<string>[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const outcome = readBody(req, 64).then(
      (b) => `read ${b.length}: ${b.toString()}`,
      (e: Error & { code?: number }) => `failed ${e.code ?? "-"}: ${e.message}`,
    );
    outcomes.push(outcome);
    void outcome.then((o) => res.end(o));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** Sends `chunks` as a chunked body (no content-length); `abort` destroys the request after them. */
function send(chunks: string[], abort = false): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request(
      { port, host: "127.0.0.1", method: "POST", path: "/", headers: { "transfer-encoding": "chunked" } },
      (res) => {
        let b = "";
        res.on("data", (c: Buffer) => (b += c.toString()));
        res.on("end", () => resolve(b));
      },
    );
    req.on("error", () => resolve(undefined));
    for (const c of chunks) req.write(c);
    if (abort) setTimeout(() => req.destroy(), 50);
    else req.end();
  });
}

describe("readBody", () => {
  it("joins a body sent in chunks", async () => {
    expect(await send(["hello ", "chunked ", "world"])).toBe("read 19: hello chunked world");
  });

  it("refuses a body without a declared length once it passes the limit", async () => {
    expect(await send(["x".repeat(40), "y".repeat(40)])).toBe(
      "failed 413: the request body is larger than the limit of 64 bytes",
    );
  });

  it("rejects when the client goes away mid-body instead of waiting for ever", async () => {
    const before = outcomes.length;
    await send(["partial"], true);
    await expect.poll(() => outcomes.length).toBe(before + 1);
    // Node reports the reset ("aborted") before the close: either way the read fails rather than hangs.
    expect(await outcomes[before]).toMatch(/^failed (ECONNRESET: aborted|-: the client closed the connection)/);
  });
});
