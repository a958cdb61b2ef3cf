import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, openSync, closeSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { LocalEnvError } from "./errors.ts";
import { tailFile } from "./process.ts";
import { binaryPaths, cacheRoot, MIN_GO, REPO_ROOT, VERSIONS } from "./versions.ts";

export type Progress = (line: string) => void;

const say: Progress = (line) => process.stderr.write(`[localenv] ${line}\n`);

/** Runs a build command with its output in a log file; a failure names the component and shows the log tail. */
async function run(
  component: string,
  cmd: string,
  args: string[],
  log: string,
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; remedy: string },
): Promise<void> {
  mkdirSync(dirname(log), { recursive: true });
  const fd = openSync(log, "w");
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ["ignore", fd, fd] });
    child.once("error", () => resolve(-1));
    child.once("exit", (c) => resolve(c));
  });
  closeSync(fd);
  if (code !== 0) {
    throw new LocalEnvError(
      component,
      `\`${cmd} ${args.join(" ")}\` failed (exit ${code}); full log: ${log}`,
      opts.remedy,
      tailFile(log, 15),
    );
  }
}

function has(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

function aptInstall(component: string, packages: string[], progress: Progress): void {
  if (process.getuid?.() !== 0 || !has("apt-get")) {
    throw new LocalEnvError(
      component,
      `${packages.join(", ")} is not installed`,
      `install it with: sudo apt-get install -y ${packages.join(" ")}`,
    );
  }
  progress(`installing ${packages.join(" ")} with apt-get`);
  const update = spawnSync("apt-get", ["update"], { stdio: "ignore" });
  const res = spawnSync("apt-get", ["install", "-y", "--no-install-recommends", ...packages], {
    stdio: "ignore",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  if (update.status !== 0 || res.status !== 0) {
    throw new LocalEnvError(
      component,
      `apt-get could not install ${packages.join(" ")}`,
      "check that the Debian package mirror is reachable, then run again",
    );
  }
}

/** Checks the toolchains the builds need, installing Debian packages where that is possible. */
export function ensureToolchains(progress: Progress = say): void {
  if (!has("java")) aptInstall("java", ["openjdk-17-jre-headless"], progress);
  if (!has("mvn")) aptInstall("maven", ["maven"], progress);
  if (!has("openssl")) aptInstall("openssl", ["openssl"], progress);
  if (!has("go")) {
    throw new LocalEnvError(
      "go",
      "the Go toolchain is not installed",
      `install Go ${MIN_GO.join(".")} or newer and put \`go\` on PATH`,
    );
  }
  const out = spawnSync("go", ["env", "GOVERSION"], { encoding: "utf8" }).stdout.trim();
  const m = /^go(\d+)\.(\d+)/.exec(out);
  // An older go still works when it can fetch the newer toolchain itself (GOTOOLCHAIN=auto, Go >= 1.21).
  if (!m || Number(m[1]) < 1 || (Number(m[1]) === 1 && Number(m[2]) < 21)) {
    throw new LocalEnvError("go", `found ${out || "an unknown Go version"}`, `install Go ${MIN_GO.join(".")} or newer`);
  }
}

interface GoBuild {
  cwd?: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Where the finished binary is once the command succeeded. */
  produced: string;
}

/** Builds under a temporary name and renames, so an interrupted build never leaves a half-written binary. */
async function buildGoBinary(
  component: string,
  version: string,
  out: string,
  spec: (tmp: string) => GoBuild,
  progress: Progress,
): Promise<void> {
  if (existsSync(out)) return;
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  const started = Date.now();
  progress(`building ${component} ${version} (first time only; several minutes on 2 cores)`);
  const build = spec(tmp);
  await run(component, "go", build.args, join(cacheRoot(), "build-logs", `${component}-${version}.log`), {
    cwd: build.cwd,
    env: build.env,
    remedy: "check that the Go module proxy is reachable and that there is free disk space, then run again",
  });
  renameSync(build.produced, out);
  rmSync(tmp, { recursive: true, force: true });
  progress(`built ${component} in ${Math.round((Date.now() - started) / 1000)}s`);
}

async function installKafka(progress: Progress): Promise<void> {
  const { kafkaLibs } = binaryPaths();
  const marker = join(kafkaLibs, ".complete");
  if (existsSync(marker)) return;
  const tmp = `${kafkaLibs}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const started = Date.now();
  progress(`resolving Apache Kafka ${VERSIONS.kafka} jars from Maven Central`);
  await run(
    "kafka",
    "mvn",
    [
      "-B",
      "-q",
      "-f",
      join(REPO_ROOT, "env/kafka/pom.xml"),
      `-Dkafka.version=${VERSIONS.kafka}`,
      "dependency:copy-dependencies",
      `-DoutputDirectory=${tmp}`,
      "-DincludeScope=runtime",
    ],
    join(cacheRoot(), "build-logs", `kafka-${VERSIONS.kafka}.log`),
    {
      remedy: "check that Maven Central is reachable, then run again",
    },
  );
  writeFileSync(join(tmp, ".complete"), `${VERSIONS.kafka}\n`);
  rmSync(kafkaLibs, { recursive: true, force: true });
  renameSync(tmp, kafkaLibs);
  progress(`kafka jars ready in ${Math.round((Date.now() - started) / 1000)}s`);
}

async function installGoComponents(progress: Progress): Promise<void> {
  const p = binaryPaths();
  const ldflags = "-ldflags=-s -w";
  const k8sModule = join(REPO_ROOT, "env/k8s");
  // One after another: each go build already uses every core.
  const goBuild =
    (cwd: string, pkg: string, flags = ldflags) =>
    (tmp: string): GoBuild => ({ cwd, args: ["build", "-trimpath", flags, "-o", tmp, pkg], produced: tmp });
  // Kubernetes stamps its version at link time; without it the binaries report v0.0.0-master and kubectl
  // refuses to parse the version.
  const [major, minor] = VERSIONS.kubernetes.slice(1).split(".");
  const stamp = ["k8s.io/client-go/pkg/version", "k8s.io/component-base/version"]
    .flatMap((pkg) => [
      `-X ${pkg}.gitVersion=${VERSIONS.kubernetes}`,
      `-X ${pkg}.gitMajor=${major}`,
      `-X ${pkg}.gitMinor=${minor}`,
      `-X ${pkg}.gitTreeState=clean`,
      `-X ${pkg}.buildDate=1970-01-01T00:00:00Z`,
    ])
    .join(" ");
  const k8sFlags = `-ldflags=-s -w ${stamp}`;
  // `go install` has no -o: install into a private GOBIN and move the binary from there.
  const goInstall =
    (mod: string, name: string) =>
    (tmp: string): GoBuild => ({
      args: ["install", "-trimpath", ldflags, mod],
      env: { GOBIN: tmp, CGO_ENABLED: "0" },
      produced: join(tmp, name),
    });
  // One after another: each go build already uses every core.
  await buildGoBinary(
    "etcd",
    VERSIONS.etcd,
    p.etcd,
    goBuild(join(REPO_ROOT, "env/etcd"), "go.etcd.io/etcd/server/v3"),
    progress,
  );
  // The Kubernetes binaries share one module and one version; after the first, most packages are already compiled.
  const kubernetes = [
    ["kube-apiserver", p.kubeApiserver],
    ["kube-controller-manager", p.kubeControllerManager],
    ["kube-scheduler", p.kubeScheduler],
    ["kubectl", p.kubectl],
  ] as const;
  for (const [cmd, out] of kubernetes) {
    await buildGoBinary(
      cmd,
      VERSIONS.kubernetes,
      out,
      goBuild(k8sModule, `k8s.io/kubernetes/cmd/${cmd}`, k8sFlags),
      progress,
    );
  }
  await buildGoBinary(
    "coredns",
    VERSIONS.coredns,
    p.coredns,
    goInstall(`github.com/coredns/coredns@${VERSIONS.coredns}`, "coredns"),
    progress,
  );
  await buildGoBinary(
    "opa",
    VERSIONS.opa,
    p.opa,
    goInstall(`github.com/open-policy-agent/opa@${VERSIONS.opa}`, "opa"),
    progress,
  );
  await buildGoBinary(
    "kwok",
    VERSIONS.kwok,
    p.kwok,
    goInstall(`sigs.k8s.io/kwok/cmd/kwok@${VERSIONS.kwok}`, "kwok"),
    progress,
  );
}

/** BIND 9 and Knot (and nsupdate, the benchmark's baseline) from Debian, checked against the pinned series. */
export function ensureDnsServers(progress: Progress = say): void {
  const p = binaryPaths();
  const servers = [
    { component: "bind9", bin: p.named, args: ["-v"], packages: ["bind9", "bind9-dnsutils"], want: VERSIONS.bind9 },
    { component: "knot", bin: p.knotd, args: ["-V"], packages: ["knot"], want: VERSIONS.knot },
  ];
  for (const s of servers) {
    if (!existsSync(s.bin) || (s.component === "bind9" && !has("nsupdate")))
      aptInstall(s.component, s.packages, progress);
    const out = spawnSync(s.bin, s.args, { encoding: "utf8" }).stdout;
    const found = /(\d+\.\d+)\.\d+/.exec(out)?.[1];
    if (found !== s.want)
      throw new LocalEnvError(
        s.component,
        `found version ${found ?? "unknown"} at ${s.bin}, the local environment is pinned to ${s.want}.x`,
        `install Debian bookworm's ${s.packages[0]} (apt-get install ${s.packages.join(" ")}) or change VERSIONS in libs/localenv/src/versions.ts`,
      );
  }
}

/** Installs everything the local environment needs, idempotently; cached builds are reused. */
export async function installAll(progress: Progress = say): Promise<void> {
  ensureToolchains(progress);
  ensureDnsServers(progress);
  mkdirSync(cacheRoot(), { recursive: true });
  // Maven downloads while Go compiles.
  await Promise.all([installKafka(progress), installGoComponents(progress)]);
}

/** True when every binary is already in the cache (nothing to build). */
export function isInstalled(): boolean {
  const p = binaryPaths();
  return (
    existsSync(join(p.kafkaLibs, ".complete")) &&
    [p.kubeApiserver, p.kubeControllerManager, p.kubeScheduler, p.kubectl, p.etcd, p.coredns, p.opa, p.kwok].every(
      (f) => existsSync(f),
    ) &&
    existsSync(p.named) &&
    existsSync(p.knotd)
  );
}
