import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { inject } from "vitest";
import { KubeConfig } from "@kubernetes/client-node";
import type { EnvironmentInfo } from "@kubefed/localenv";

const execFileP = promisify(execFile);

export function env(): EnvironmentInfo {
  return inject("localenv");
}

/** A client-node KubeConfig pointed at one member cluster of the local environment. */
export function kubeConfigFor(context: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(env().kubeconfig);
  kc.setCurrentContext(context);
  return kc;
}

/** Runs the kubectl built at the pinned Kubernetes version against the environment's kubeconfig (or another). */
export async function kubectl(
  args: string[],
  opts: { input?: string; kubeconfig?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ stdout: string; stderr: string }> {
  const e = env();
  const p = execFileP(e.kubectl, ["--kubeconfig", opts.kubeconfig ?? e.kubeconfig, ...args], {
    timeout: 60_000,
    maxBuffer: 512 * 1024 * 1024,
    env: { ...process.env, ...opts.env },
  });
  if (opts.input !== undefined) {
    p.child.stdin?.end(opts.input);
  }
  return p;
}

/** Stops or starts a member's kube-apiserver (the global setup owns the processes). */
export async function memberApiserver(name: string, action: "stop" | "start"): Promise<void> {
  const res = await fetch(`${inject("localenvControl")}/members/${name}/${action}`, { method: "POST" });
  if (res.status !== 204)
    throw new Error(`${action} of ${name}'s kube-apiserver failed: ${res.status} ${await res.text()}`);
}

/** A name unique to this run, so tests never collide in the shared environment. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
}
