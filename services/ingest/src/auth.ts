/**
 * Authentication as kube-apiserver does it with --client-ca-file, --token-auth-file and --basic-auth-file: a client
 * certificate the client CA signed (CN the user, each O a group), or CSV files of `secret,user,uid[,"group1,group2"]`.
 * The first that succeeds wins; credentials presented that none accepts get 401. A request with none is anonymous
 * (system:anonymous, group system:unauthenticated) only when that is enabled, and 401 otherwise.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { TLSSocket } from "node:tls";
import { toFederationError } from "@kubefed/events";
import { ApiError, Reason } from "./status.ts";

import type { UserInfo } from "@kubefed/rbac";
export type { UserInfo };

/** What authentication reads of a request: its headers and, over TLS, the peer certificate the handshake verified. */
export interface Credentials {
  headers: IncomingHttpHeaders;
  socket?: unknown;
}

interface Entry {
  user: string;
  uid: string;
  groups: string[];
  digest: Buffer;
}

const digest = (s: string) => createHash("sha256").update(s).digest();

/** Splits one CSV line; a field may be double-quoted (and then contain commas). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  if (quoted) throw new Error("unterminated quote");
  out.push(cur);
  return out.map((f) => f.trim());
}

/** Parses a token or basic-auth file; `what` names it in errors ("token file line 3: ..."). */
export function parseCredentialFile(content: string, what: string): Entry[] {
  const entries: Entry[] = [];
  content.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    let fields: string[];
    try {
      fields = splitCsvLine(line);
    } catch (e) {
      throw new Error(`${what} line ${i + 1}: ${toFederationError(e).message}`);
    }
    const [secret, user, uid, groups] = fields;
    if (!secret || !user || uid === undefined)
      throw new Error(`${what} line ${i + 1}: expected secret,user,uid[,"groups"]`);
    entries.push({
      digest: digest(secret),
      user,
      uid,
      groups: groups
        ? groups
            .split(",")
            .map((g) => g.trim())
            .filter(Boolean)
        : [],
    });
  });
  return entries;
}

export interface AuthOptions {
  tokens: Entry[];
  basic: Entry[];
  anonymous: boolean;
  /** Whether the server verifies client certificates against a client CA (its TLS options carry the CA). */
  clientCertificates?: boolean;
}

const AUTHENTICATED = "system:authenticated";

/** The user of a client certificate the TLS handshake verified against the client CA; undefined when none was sent. */
function certificateUser(socket: unknown): UserInfo | "rejected" | undefined {
  const tls = socket as Partial<TLSSocket> | undefined;
  if (!tls || typeof tls.getPeerCertificate !== "function") return undefined;
  const cert = tls.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return undefined;
  // Verified by the handshake (chain to the client CA, validity period); anything else is no identity at all.
  if (!tls.authorized) return "rejected";
  const subject = cert.subject as unknown as Record<string, string | string[] | undefined>;
  const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const cn = list(subject.CN)[0];
  if (!cn) return "rejected";
  return { user: cn, uid: "", groups: [...list(subject.O), AUTHENTICATED] };
}

function match(entries: Entry[], secret: string): Entry | undefined {
  const d = digest(secret);
  // Compare against every entry so that timing does not tell how far a guess got.
  let found: Entry | undefined;
  for (const e of entries) if (timingSafeEqual(e.digest, d)) found ??= e;
  return found;
}

export class Authenticator {
  constructor(private readonly opts: AuthOptions) {}

  authenticate(req: Credentials): UserInfo {
    const { headers } = req;
    const fromCert = this.opts.clientCertificates ? certificateUser(req.socket) : undefined;
    if (fromCert !== undefined && fromCert !== "rejected") return fromCert;
    const header = headers.authorization;
    if (header) {
      const [scheme, value = ""] = header.split(" ", 2);
      if (scheme?.toLowerCase() === "bearer") {
        const e = match(this.opts.tokens, value.trim());
        if (e) return { user: e.user, uid: e.uid, groups: [...e.groups, AUTHENTICATED] };
      } else if (scheme?.toLowerCase() === "basic") {
        const decoded = Buffer.from(value, "base64").toString("utf8");
        const colon = decoded.indexOf(":");
        const e =
          colon > 0
            ? match(
                this.opts.basic.filter((b) => b.user === decoded.slice(0, colon)),
                decoded.slice(colon + 1),
              )
            : undefined;
        if (e) return { user: e.user, uid: e.uid, groups: [...e.groups, AUTHENTICATED] };
      }
      throw new ApiError(Reason.Unauthorized, "Unauthorized");
    }
    if (fromCert === "rejected") throw new ApiError(Reason.Unauthorized, "Unauthorized");
    if (this.opts.anonymous) return { user: "system:anonymous", uid: "", groups: ["system:unauthenticated"] };
    throw new ApiError(Reason.Unauthorized, "Unauthorized");
  }
}
