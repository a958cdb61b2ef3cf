import { homedir } from "node:os";
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

/** The name of the repository's root package.json. */
const ROOT_PACKAGE = "kubefed-es";

/** Pinned versions of every component the local environment runs. Bump here; the cache is keyed by them. */
export const VERSIONS = {
  kafka: "3.9.1",
  kubernetes: "v1.36.3",
  etcd: "v3.6.8",
  coredns: "v1.14.7",
  opa: "v1.22.2",
  kwok: "v0.8.0",
  // Debian bookworm's series: apt-get installs them, the version check accepts any Debian revision of the series.
  bind9: "9.18",
  knot: "3.2",
} as const;

/** Oldest Go that builds the pinned Kubernetes (its go.mod says `go 1.26.0`). */
export const MIN_GO = [1, 26] as const;

/**
 * The repository root: the nearest directory above this module whose package.json is the workspace root. This
 * module runs from libs/localenv/src, and from the CLI's bundle (cli/dist).
 */
export const REPO_ROOT = findRepoRoot(dirname(fileURLToPath(import.meta.url)));

function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    try {
      if ((JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string }).name === ROOT_PACKAGE)
        return dir;
    } catch {
      // no package.json here, or not ours
    }
    if (dirname(dir) === dir)
      throw new Error(`cannot find the repository root (package.json named ${ROOT_PACKAGE}) above ${from}`);
  }
}

/** Build outputs live outside the repository so that a fresh clone on the same machine reuses them. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME !== "" ? env.XDG_CACHE_HOME : join(homedir(), ".cache");
  return join(base, "kubefed");
}

export interface BinaryPaths {
  kafkaLibs: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kubectl: string;
  kwok: string;
  etcd: string;
  coredns: string;
  opa: string;
  /** Debian's BIND 9 and Knot (apt-get), outside the cache. */
  named: string;
  knotd: string;
}

export function binaryPaths(root = cacheRoot()): BinaryPaths {
  const k8s = join(root, `k8s-${VERSIONS.kubernetes}`);
  return {
    kafkaLibs: join(root, `kafka-${VERSIONS.kafka}`, "libs"),
    kubeApiserver: join(k8s, "kube-apiserver"),
    kubeControllerManager: join(k8s, "kube-controller-manager"),
    kubeScheduler: join(k8s, "kube-scheduler"),
    kubectl: join(k8s, "kubectl"),
    kwok: join(root, `kwok-${VERSIONS.kwok}`, "kwok"),
    etcd: join(root, `etcd-${VERSIONS.etcd}`, "etcd"),
    coredns: join(root, `coredns-${VERSIONS.coredns}`, "coredns"),
    opa: join(root, `opa-${VERSIONS.opa}`, "opa"),
    named: "/usr/sbin/named",
    knotd: "/usr/sbin/knotd",
  };
}
