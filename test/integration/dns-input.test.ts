// dns-sync refuses bad configuration at start with one clear line and a non-zero exit, before it touches Kafka
// or the DNS server; an unreachable DNS server is a retried, reported condition that writes nothing.
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { startFederation, writeCorednsProviderConfig } from "@kubefed/localenv";
import { env, uniqueName } from "./helpers.ts";
import { DNS_SERVERS } from "./dns-helpers.ts";
import { eventually } from "./propagation-helpers.ts";

const execFileP = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "dns-input-"));

/** Runs dns-sync with this environment (and nothing of the caller's DNS_SYNC_*); resolves with its exit. */
async function dnsSync(vars: Record<string, string>): Promise<{ code: number; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("DNS_SYNC_")));
  try {
    await execFileP(process.execPath, ["--import", "tsx", "services/dns-sync/src/main.ts"], {
      cwd: ROOT,
      env: { ...clean, KAFKA_BROKERS: env().kafka.bootstrap, LOG_LEVEL: "warn", ...vars },
      timeout: 60_000,
    });
    return { code: 0, stderr: "" };
  } catch (e) {
    const err = e as { code: number; stderr: string };
    return { code: err.code, stderr: err.stderr };
  }
}

const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe("dns-sync refuses bad input at start", () => {
  const good = () => writeCorednsProviderConfig(env(), dir, "kubefed.test.");
  const cases: [string, () => Record<string, string>, string][] = [
    [
      "a zone name without the trailing dot",
      () => ({ DNS_SYNC_ZONE_NAME: "kubefed.test", DNS_SYNC_PROVIDER_CONFIG: good() }),
      `DNS_SYNC_ZONE_NAME="kubefed.test": must be a fully qualified DNS name ending with '.'`,
    ],
    [
      "an unknown provider",
      () => ({ DNS_SYNC_ZONE_NAME: "kubefed.test.", DNS_SYNC_PROVIDER: "bind9" }),
      `DNS_SYNC_PROVIDER="bind9": must be one of: coredns, rfc2136`,
    ],
    [
      "a provider of the original not built yet",
      () => ({ DNS_SYNC_ZONE_NAME: "kubefed.test.", DNS_SYNC_PROVIDER: "google-clouddns" }),
      "the google-clouddns provider is not supported yet",
    ],
    [
      "a missing provider config",
      () => ({ DNS_SYNC_ZONE_NAME: "kubefed.test.", DNS_SYNC_PROVIDER_CONFIG: join(dir, "absent.conf") }),
      `cannot read the provider config file DNS_SYNC_PROVIDER_CONFIG=${join(dir, "absent.conf")}`,
    ],
    [
      "a malformed provider config",
      () => ({
        DNS_SYNC_ZONE_NAME: "kubefed.test.",
        DNS_SYNC_PROVIDER_CONFIG: file("bad.conf", "[Global]\netcd-endpoints: http://127.0.0.1:2379\n"),
      }),
      'line 2: expected "key = value", got "etcd-endpoints: http://127.0.0.1:2379"',
    ],
    [
      "a provider config without the federation's zone",
      () => ({
        DNS_SYNC_ZONE_NAME: "kubefed.test.",
        DNS_SYNC_PROVIDER_CONFIG: file(
          "other.conf",
          "[Global]\netcd-endpoints = http://127.0.0.1:2379\nzones = example.org.\n",
        ),
      }),
      "zones = example.org. does not include the federation's zone kubefed.test.",
    ],
  ];
  for (const [what, vars, message] of cases)
    it(`refuses ${what}`, async () => {
      const { code, stderr } = await dnsSync(vars());
      expect(code).toBe(2);
      expect(stderr).toContain(message);
      expect(stderr.trim().startsWith("dns-sync: ")).toBe(true);
    });
});

describe("dns-sync with an unreachable DNS server", () => {
  it("reports the condition, retries, and writes nothing", async () => {
    const fed = await startFederation(env(), uniqueName("unr"));
    const server = DNS_SERVERS[0]!;
    try {
      const sync = await server.startSync(fed, {
        env: {
          DNS_SYNC_PROVIDER_CONFIG: file(
            "unreachable.conf",
            `[Global]\netcd-endpoints = http://127.0.0.1:9\nzones = ${server.zone}\n`,
          ),
        },
      });
      try {
        const state = await eventually(async () => {
          const s = await sync.sync();
          expect(s.lastError).toMatch(/etcd http:\/\/127\.0\.0\.1:9 unreachable/);
          return s;
        }, 30_000);
        expect(state).toMatchObject({ active: true, converged: false });
        const metrics = await (await fetch(`${sync.url}/metrics`)).text();
        expect(metrics).toMatch(
          /kubefed_dns_sync_provider_errors_total\{provider="coredns",code="Unreachable"\} [1-9]/,
        );
        expect(await server.owned(fed.name)).toEqual([]);
      } finally {
        await sync.stop();
      }
    } finally {
      await fed.stop();
    }
  }, 120_000);
});
