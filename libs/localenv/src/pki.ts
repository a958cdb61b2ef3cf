import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LocalEnvError } from "./errors.ts";

/** Certificates of one local environment: one CA signs every serving and client certificate. */
export interface CertPair {
  cert: string;
  key: string;
}

function openssl(args: string[], what: string): void {
  const res = spawnSync("openssl", args, { encoding: "utf8" });
  if (res.status !== 0) {
    throw new LocalEnvError(
      "pki",
      `openssl could not ${what}`,
      "check that openssl 3 is installed",
      (res.stderr ?? "").trim(),
    );
  }
}

function newKey(path: string): void {
  openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path], `create ${path}`);
}

export class Pki {
  readonly ca: CertPair;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.ca = { cert: join(dir, "ca.crt"), key: join(dir, "ca.key") };
    if (!existsSync(this.ca.cert)) {
      newKey(this.ca.key);
      openssl(
        [
          "req",
          "-x509",
          "-new",
          "-key",
          this.ca.key,
          "-out",
          this.ca.cert,
          "-days",
          "3650",
          "-subj",
          "/CN=kubefed-localenv-ca",
        ],
        "create the CA",
      );
    }
  }

  /** A certificate signed by the CA; `sans` makes it a serving certificate, `org` a client group. */
  issue(name: string, opts: { cn: string; org?: string; sans?: string[] }): CertPair {
    const pair = { cert: join(this.dir, `${name}.crt`), key: join(this.dir, `${name}.key`) };
    if (existsSync(pair.cert)) return pair;
    const csr = join(this.dir, `${name}.csr`);
    const ext = join(this.dir, `${name}.ext`);
    newKey(pair.key);
    const subject = `/CN=${opts.cn}${opts.org ? `/O=${opts.org}` : ""}`;
    openssl(["req", "-new", "-key", pair.key, "-out", csr, "-subj", subject], `create a request for ${name}`);
    const lines = ["basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment"];
    if (opts.sans && opts.sans.length > 0) {
      lines.push("extendedKeyUsage=serverAuth,clientAuth", `subjectAltName=${opts.sans.join(",")}`);
    } else {
      lines.push("extendedKeyUsage=clientAuth");
    }
    writeFileSync(ext, `${lines.join("\n")}\n`);
    openssl(
      [
        "x509",
        "-req",
        "-in",
        csr,
        "-CA",
        this.ca.cert,
        "-CAkey",
        this.ca.key,
        "-CAcreateserial",
        "-out",
        pair.cert,
        "-days",
        "3650",
        "-extfile",
        ext,
      ],
      `sign ${name}`,
    );
    return pair;
  }

  /** An RSA key pair for signing and verifying service-account tokens. */
  serviceAccountKey(): CertPair {
    const key = join(this.dir, "sa.key");
    const pub = join(this.dir, "sa.pub");
    if (!existsSync(key)) {
      openssl(
        ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key],
        "create the service-account key",
      );
      openssl(["pkey", "-in", key, "-pubout", "-out", pub], "derive the service-account public key");
    }
    return { cert: pub, key };
  }
}
