import { createServer } from "node:http";
import type { TestProject } from "vitest/node";
import { startEnvironment, LocalEnvError, type EnvironmentInfo } from "@kubefed/localenv";

declare module "vitest" {
  export interface ProvidedContext {
    localenv: EnvironmentInfo;
    /** Base URL of the environment's control endpoint (POST /members/<name>/stop|start). */
    localenvControl: string;
  }
}

/** Names of the member clusters every integration test can use. */
export const MEMBERS = ["member1", "member2", "member3"].slice(0, Number(process.env.KUBEFED_TEST_MEMBERS ?? 3));

/**
 * Where each member's kwok nodes are. Tests that join with --region/--zone use these same values, so what the
 * members' nodes say and what the Clusters are labelled agree; member1 and member3 share a region.
 */
export const TOPOLOGY = {
  member1: { region: "eu", zones: ["eu-a"] },
  member2: { region: "us", zones: ["us-a"] },
  member3: { region: "eu", zones: ["eu-b"] },
};

/** ONE local environment per test run, shared by every integration test file. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  try {
    const env = await startEnvironment({
      members: MEMBERS,
      coredns: true,
      opa: true,
      bind: true,
      knot: true,
      topology: TOPOLOGY,
    });
    process.stderr.write(`[localenv] environment ready in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
    for (const c of env.info.components)
      process.stderr.write(`[localenv]   ${c.name}: ${(c.startupMs / 1000).toFixed(1)}s\n`);
    project.provide("localenv", env.info);
    // Test files run in workers; the component processes belong to this one. Outage tests stop and start a
    // member's kube-apiserver through this loopback endpoint.
    const control = createServer((req, res) => {
      const m = /^\/members\/([a-z0-9-]+)\/(stop|start)$/.exec(req.url ?? "");
      if (req.method !== "POST" || !m) {
        res.writeHead(404).end();
        return;
      }
      (m[2] === "stop" ? env.stopMember(m[1]!) : env.startMember(m[1]!)).then(
        () => res.writeHead(204).end(),
        (e: unknown) => res.writeHead(500).end(e instanceof LocalEnvError ? e.describe() : String(e)),
      );
    });
    await new Promise<void>((r) => control.listen(0, "127.0.0.1", () => r()));
    project.provide("localenvControl", `http://127.0.0.1:${(control.address() as { port: number }).port}`);
    return async () => {
      control.close();
      await env.stop();
    };
  } catch (err) {
    // One clear message instead of a stack trace: which component, what to do, the tail of its log.
    if (err instanceof LocalEnvError) throw new Error(err.describe());
    throw err;
  }
}
