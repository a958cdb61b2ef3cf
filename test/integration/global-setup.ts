import type { TestProject } from "vitest/node";
import { startEnvironment, LocalEnvError, type EnvironmentInfo } from "@kubefed/localenv";

declare module "vitest" {
  export interface ProvidedContext {
    localenv: EnvironmentInfo;
  }
}

/** Names of the member clusters every integration test can use. */
export const MEMBERS = ["member1", "member2", "member3"].slice(0, Number(process.env.KUBEFED_TEST_MEMBERS ?? 3));

/** ONE local environment per test run, shared by every integration test file. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  try {
    const env = await startEnvironment({ members: MEMBERS, coredns: true, opa: true });
    process.stderr.write(`[localenv] environment ready in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
    for (const c of env.info.components) process.stderr.write(`[localenv]   ${c.name}: ${(c.startupMs / 1000).toFixed(1)}s\n`);
    project.provide("localenv", env.info);
    return () => env.stop();
  } catch (err) {
    // One clear message instead of a stack trace: which component, what to do, the tail of its log.
    if (err instanceof LocalEnvError) throw new Error(err.describe());
    throw err;
  }
}
