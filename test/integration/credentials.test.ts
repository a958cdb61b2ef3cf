/**
 * A member's credentials cannot be redirected: pointing a Cluster (a new one, or the member's own) at another
 * address is refused at write time for anyone but cluster admins, and for everyone by the propagator, which says
 * why in the Cluster's status; the member's token never reaches the other address, even when that address presents
 * a certificate from the member's own CA (a loopback listener records what it receives). `kubefed join --update`
 * is how a member's address legitimately changes.
 */
import { createServer, type Server } from "node:https";
import { readFileSync } from "node:fs";
import { join as joinPath } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Pki } from "@kubefed/localenv";
import { env, kubectl, uniqueName } from "./helpers.ts";
import { eventually, fedctl, federationWithMembers, kubefed, propagator } from "./propagation-helpers.ts";
import type { Federation } from "./federation.ts";
import type { Propagator } from "@kubefed/localenv";

const MEMBER = env().members[0]!.name;
const id = uniqueName("cr");
let fed: Federation;
let worker: Propagator;
let listener: Server;
let listenerUrl: string;
/** Every request the listener received: its path and Authorization header. */
const received: { path: string; authorization: string | undefined }[] = [];
let handshakes = 0;

const clusterJson = (name: string, server: string) =>
  JSON.stringify({
    apiVersion: "federation/v1beta1",
    kind: "Cluster",
    metadata: { name },
    spec: {
      serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: server }],
      secretRef: { name: `${MEMBER}-credentials` },
    },
  });
/** kubectl arguments that point the member's own Cluster at another address. */
const moveMember = (server: string) => [
  "patch",
  "cluster",
  MEMBER,
  "--type=merge",
  "-p",
  JSON.stringify({ spec: { serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: server }] } }),
];
const readyCondition = async (name: string) => {
  const c = JSON.parse((await fedctl(fed, ["get", "cluster", name, "-o", "json"])).stdout);
  return (c.status?.conditions ?? []).find((x: { type: string }) => x.type === "Ready") as
    { status: string; message?: string } | undefined;
};

beforeAll(async () => {
  fed = await federationWithMembers(`creds-${id.slice(3, 9)}`, [{ name: MEMBER }]);
  worker = await propagator(fed);
  // A server with a certificate the member's CA signed, for 127.0.0.1: the propagator's TLS check would accept it.
  const pki = new Pki(joinPath(env().runDir, "pki"));
  const pair = pki.issue(`${id}-impostor`, { cn: "impostor", sans: ["IP:127.0.0.1"] });
  listener = createServer({ cert: readFileSync(pair.cert), key: readFileSync(pair.key) }, (req, res) => {
    received.push({ path: req.url ?? "", authorization: req.headers.authorization });
    res.writeHead(200, { "content-type": "text/plain" }).end("ok");
  });
  listener.on("secureConnection", () => handshakes++);
  await new Promise<void>((r) => listener.listen(0, "127.0.0.1", () => r()));
  const addr = listener.address();
  listenerUrl = `https://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
  await fedctl(
    fed,
    ["create", "-f", "-"],
    JSON.stringify({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: `${id}-nsadmin` },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "admin" },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "nsadmin" }],
    }),
  );
  await eventually(async () => expect((await readyCondition(MEMBER))?.status).toBe("True"), 60_000);
});
afterAll(async () => {
  listener?.close();
  await worker?.stop();
  await fed?.stop();
});

describe("redirecting a member's credentials", () => {
  it("is refused at write time for anyone but cluster admins", async () => {
    const as = (args: string[], input?: string) => fedctl(fed, ["--as", "nsadmin", ...args], input);
    const refusal = (p: Promise<unknown>) =>
      p.then(
        () => "accepted",
        (e: { stderr: string }) => e.stderr,
      );
    expect(await refusal(as(["create", "-f", "-"], clusterJson("evil", listenerUrl)))).toContain(
      'clusters.federation is forbidden: User "nsadmin" cannot create resource "clusters" in API group "federation" at the cluster scope',
    );
    expect(await refusal(as(moveMember(listenerUrl)))).toContain(
      `clusters.federation "${MEMBER}" is forbidden: User "nsadmin" cannot patch resource "clusters"`,
    );
    expect(await refusal(as(["-n", "kubefed-system", "get", "secret", `${MEMBER}-credentials`]))).toContain(
      'User "nsadmin" cannot get resource "secrets" in API group "" in the namespace "kubefed-system"',
    );
  });

  it("is refused by the propagator for everyone, said in the Cluster's status, and no token leaves", async () => {
    // A cluster admin (system:masters) may write both; the credentials still go nowhere but the member.
    await fedctl(fed, ["create", "-f", "-"], clusterJson("evil", listenerUrl));
    const memberServer = env().members[0]!.server;
    await fedctl(fed, moveMember(listenerUrl));
    for (const name of ["evil", MEMBER]) {
      const c = await eventually(async () => {
        const r = await readyCondition(name);
        expect(r?.status).toBe("False");
        expect(r?.message).toContain(`was issued for ${memberServer}, not for the Cluster's address ${listenerUrl}`);
        return r;
      }, 60_000);
      expect(c?.message).toContain("kubefed join --update");
    }
    // The positive signal came first (both refusals are reported); now the listener must have seen nothing.
    expect(received).toEqual([]);
    expect(handshakes).toBe(0);
  });

  it("kubefed join --update puts the member back at the address its credentials are issued for", async () => {
    await kubefed([
      "join",
      MEMBER,
      "--update",
      "--host-cluster-context=federation",
      `--cluster-context=${MEMBER}`,
      `--kubeconfig=${fed.kubeconfig}`,
      `--federation-name=${fed.name}`,
    ]);
    await eventually(async () => expect((await readyCondition(MEMBER))?.status).toBe("True"), 60_000);
    await fedctl(fed, ["create", "namespace", `${id}-after`]);
    await eventually(
      async () =>
        expect(
          (await kubectl(["--context", MEMBER, "get", "namespace", `${id}-after`, "-o", "name"])).stdout.trim(),
        ).toBe(`namespace/${id}-after`),
      60_000,
    );
    expect(received).toEqual([]);
  });
});
