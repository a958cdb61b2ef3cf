/**
 * Authentication as kube-apiserver does it: client certificates against the client CA (CN user, O groups) with
 * stock kubectl, expired and foreign-CA certificates refused with 401, the basic-auth file, and anonymous requests
 * (off by default; when on, system:anonymous gets only what RBAC grants system:unauthenticated).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { env, kubectl } from "./helpers.ts";
import { api, startFederation, type Federation } from "./federation.ts";

const dir = mkdtempSync(join(tmpdir(), "kubefed-authn-"));
const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });

/** A CA of the test's own, and certificates it signs (optionally valid only in the past). */
function ca(name: string): void {
  openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${name}.key`);
  openssl("req", "-x509", "-new", "-key", `${name}.key`, "-out", `${name}.crt`, "-days", "30", "-subj", `/CN=${name}`);
}
function cert(caName: string, file: string, subject: string, past = false): { cert: string; key: string } {
  openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${file}.key`);
  openssl("req", "-new", "-key", `${file}.key`, "-out", `${file}.csr`, "-subj", subject);
  if (!past) {
    openssl(
      "x509",
      "-req",
      "-in",
      `${file}.csr`,
      "-CA",
      `${caName}.crt`,
      "-CAkey",
      `${caName}.key`,
      "-out",
      `${file}.crt`,
      "-days",
      "30",
      "-set_serial",
      String(Date.now()),
    );
  } else {
    // `openssl ca` is the one that sets both ends of the validity period: a certificate that expired in 2021.
    writeFileSync(join(dir, "index.txt"), "");
    writeFileSync(join(dir, "serial"), "1000\n");
    writeFileSync(
      join(dir, "ca.cnf"),
      `[ca]\ndefault_ca=d\n[d]\ndatabase=${dir}/index.txt\nnew_certs_dir=${dir}\nserial=${dir}/serial\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\norganizationName=optional\n`,
    );
    openssl(
      "ca",
      "-batch",
      "-config",
      "ca.cnf",
      "-cert",
      `${caName}.crt`,
      "-keyfile",
      `${caName}.key`,
      "-in",
      `${file}.csr`,
      "-out",
      `${file}.crt`,
      "-notext",
      "-startdate",
      "20210101000000Z",
      "-enddate",
      "20210102000000Z",
    );
  }
  return { cert: join(dir, `${file}.crt`), key: join(dir, `${file}.key`) };
}

let fed: Federation;
let anon: Federation;
const kubeconfigFor = (name: string, c: { cert: string; key: string }) => {
  const file = join(dir, `${name}.kubeconfig`);
  writeFileSync(
    file,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "f", cluster: { server: fed.url, "certificate-authority": fed.caFile } }],
      users: [{ name, user: { "client-certificate": c.cert, "client-key": c.key } }],
      contexts: [{ name: "f", context: { cluster: "f", user: name } }],
      "current-context": "f",
    }),
  );
  return file;
};
const run = (kubeconfig: string, args: string[]) =>
  kubectl(args, { kubeconfig }).then(
    (r) => ({ ok: true, out: r.stdout }),
    (e: { stderr?: string }) => ({ ok: false, out: e.stderr ?? "" }),
  );
/** A raw request with a client certificate or a basic-auth header. */
function raw(
  f: Federation,
  method: string,
  path: string,
  o: { cert?: { cert: string; key: string }; basic?: string; body?: string } = {},
): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (o.basic) headers.authorization = `Basic ${Buffer.from(o.basic).toString("base64")}`;
    const req = request(
      `${f.url}${path}`,
      {
        method,
        headers,
        ca: readFileSync(f.caFile),
        ...(o.cert ? { cert: readFileSync(o.cert.cert), key: readFileSync(o.cert.key) } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString();
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            body = text;
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on("error", reject);
    req.end(o.body);
  });
}

let good: { cert: string; key: string };
let expired: { cert: string; key: string };
let foreign: { cert: string; key: string };

beforeAll(async () => {
  ca("client-ca");
  ca("other-ca");
  good = cert("client-ca", "frank", "/CN=frank/O=kubefed:viewers/O=testers");
  expired = cert("client-ca", "old-frank", "/CN=frank/O=kubefed:viewers", true);
  foreign = cert("other-ca", "mallory", "/CN=mallory/O=system:masters");
  const basic = join(dir, "basic.csv");
  writeFileSync(basic, 'pw-gina,gina,gina-uid,"kubefed:viewers"\n');
  fed = await startFederation(env(), "authn", {
    env: { INGEST_CLIENT_CA_FILE: join(dir, "client-ca.crt"), INGEST_BASIC_AUTH_FILE: basic },
  });
});
afterAll(async () => {
  await fed?.stop();
  await anon?.stop();
});

describe("client certificates", () => {
  it("authenticate kubectl as CN with the O groups, and RBAC applies", async () => {
    const kc = kubeconfigFor("frank", good);
    const who = await run(kc, [
      "auth",
      "whoami",
      "-o",
      "jsonpath={.status.userInfo.username} {.status.userInfo.groups}",
    ]);
    expect(who).toEqual({ ok: true, out: 'frank ["kubefed:viewers","testers","system:authenticated"]' });
    expect(await run(kc, ["auth", "can-i", "list", "configmaps", "-n", "default"])).toEqual({ ok: true, out: "yes\n" });
    expect((await run(kc, ["get", "namespaces"])).ok).toBe(true);
    const write = await run(kc, ["-n", "default", "create", "configmap", "x"]);
    expect(write.ok).toBe(false);
    expect(write.out).toContain(
      'configmaps is forbidden: User "frank" cannot create resource "configmaps" in API group "" in the namespace "default"',
    );
  });

  it("expired, or signed by another CA, get 401", async () => {
    for (const c of [expired, foreign]) {
      const r = await run(kubeconfigFor("bad", c), ["get", "namespaces"]);
      expect(r.ok).toBe(false);
      expect(r.out).toContain("Unauthorized");
      const direct = await raw(fed, "GET", "/api/v1/namespaces", { cert: c });
      expect(direct.status).toBe(401);
      expect(direct.body).toMatchObject({ kind: "Status", reason: "Unauthorized", code: 401 });
    }
  });
});

describe("the basic-auth file", () => {
  it("authenticates user and password as its CSV says, and RBAC applies", async () => {
    expect((await raw(fed, "GET", "/api/v1/namespaces", { basic: "gina:pw-gina" })).status).toBe(200);
    const write = await raw(fed, "POST", "/api/v1/namespaces/default/configmaps", {
      basic: "gina:pw-gina",
      body: JSON.stringify({ metadata: { name: "g" } }),
    });
    expect(write.status).toBe(403);
    expect(write.body.message).toBe(
      'configmaps is forbidden: User "gina" cannot create resource "configmaps" in API group "" in the namespace "default"',
    );
    expect((await raw(fed, "GET", "/api/v1/namespaces", { basic: "gina:wrong" })).status).toBe(401);
  });
});

describe("anonymous requests", () => {
  it("are refused with 401 unless enabled", async () => {
    expect((await api(fed, "GET", "/api/v1/namespaces", undefined, { token: null })).status).toBe(401);
  });

  it("when enabled, are system:anonymous with only what RBAC grants system:unauthenticated", async () => {
    anon = await startFederation(env(), "anon", { env: { INGEST_ANONYMOUS_AUTH: "true" } });
    const list = await api(anon, "GET", "/api/v1/namespaces", undefined, { token: null });
    expect(list.status).toBe(403);
    expect(list.body.message).toBe(
      'namespaces is forbidden: User "system:anonymous" cannot list resource "namespaces" in API group "" at the cluster scope',
    );
    const discovery = await api(anon, "GET", "/api", undefined, { token: null });
    expect(discovery.body.message).toBe('forbidden: User "system:anonymous" cannot get path "/api"');
    await kubectl(
      [
        "--context",
        "federation",
        "create",
        "clusterrolebinding",
        "anon-view",
        "--clusterrole=view",
        "--group=system:unauthenticated",
      ],
      {
        kubeconfig: anon.kubeconfig,
      },
    );
    expect((await api(anon, "GET", "/api/v1/namespaces", undefined, { token: null })).status).toBe(200);
    const write = await api(
      anon,
      "POST",
      "/api/v1/namespaces/default/configmaps",
      JSON.stringify({ metadata: { name: "a" } }),
      {
        token: null,
      },
    );
    expect(write.status).toBe(403);
  });
});
