// The keyring for Secret payload encryption. This module only parses text; reading the key file is the
// service's job, so the library stays free of I/O.
//
// Key-file format (JSON):
//   { "primary": "k2", "keys": { "k1": "<base64 of 32 random bytes>", "k2": "<base64 of 32 random bytes>" } }
// - `primary` encrypts every new event; all listed keys decrypt. Rotate by adding a key and making it primary;
//   drop an old key only once no retained event needs it (the objects log is kept forever, so: never).
// - Key ids: 1-64 characters of [A-Za-z0-9._-], starting alphanumeric (they travel in the `kf-key-id` header).
// - Generate a key with e.g. `openssl rand -base64 32`.
import { ErrorCode, FederationError } from "./errors.ts";

export const AES_256_KEY_BYTES = 32;
const keyIdRe = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
// Exactly 32 bytes in standard padded base64: 43 characters then '='.
const base64Key32Re = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

const invalid = (message: string): FederationError => new FederationError(ErrorCode.Invalid, `keyring: ${message}`);

export class Keyring {
  readonly primaryKeyId: string;
  // Private so that logging or serialising a Keyring never prints key material.
  readonly #keys: ReadonlyMap<string, Buffer>;

  private constructor(primaryKeyId: string, keys: ReadonlyMap<string, Buffer>) {
    this.primaryKeyId = primaryKeyId;
    this.#keys = keys;
  }

  /** Builds a keyring from raw keys (tests, or a service holding keys elsewhere). */
  static fromKeys(primaryKeyId: string, keys: Readonly<Record<string, Uint8Array>>): Keyring {
    const map = new Map<string, Buffer>();
    for (const [id, key] of Object.entries(keys)) {
      if (!keyIdRe.test(id)) throw invalid(`invalid key id ${JSON.stringify(id)}: must match ${keyIdRe.source}`);
      if (key.length !== AES_256_KEY_BYTES) {
        throw invalid(`key ${JSON.stringify(id)} has ${key.length} bytes, AES-256 needs ${AES_256_KEY_BYTES}`);
      }
      map.set(id, Buffer.from(key));
    }
    if (!map.has(primaryKeyId)) throw invalid(`primary key ${JSON.stringify(primaryKeyId)} is not among the keys`);
    return new Keyring(primaryKeyId, map);
  }

  /** Parses the key-file content (see the format above). Errors never quote key material. */
  static parse(content: string): Keyring {
    let doc: unknown;
    try {
      doc = JSON.parse(content);
    } catch {
      throw invalid("key file is not valid JSON");
    }
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw invalid("key file must be a JSON object");
    const { primary, keys } = doc as Record<string, unknown>;
    if (typeof primary !== "string") throw invalid('"primary" must be a string key id');
    if (typeof keys !== "object" || keys === null || Array.isArray(keys)) {
      throw invalid('"keys" must be an object of key id to base64 key');
    }
    const raw: Record<string, Uint8Array> = {};
    for (const [id, encoded] of Object.entries(keys as Record<string, unknown>)) {
      if (typeof encoded !== "string" || !base64Key32Re.test(encoded.trim())) {
        throw invalid(`key ${JSON.stringify(id)} must be the standard base64 encoding of ${AES_256_KEY_BYTES} bytes`);
      }
      raw[id] = Buffer.from(encoded.trim(), "base64");
    }
    return Keyring.fromKeys(primary, raw);
  }

  keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  has(keyId: string): boolean {
    return this.#keys.has(keyId);
  }

  /** A copy of the key; throws KeyNotFound (retryable: deploy the key file) when this keyring lacks it. */
  key(keyId: string): Buffer {
    const key = this.#keys.get(keyId);
    if (!key) {
      throw new FederationError(
        ErrorCode.KeyNotFound,
        `encryption key ${JSON.stringify(keyId)} is not in the keyring (have: ${this.keyIds().join(", ")}); ` +
          "add it to the key file to read events encrypted with it",
      );
    }
    return Buffer.from(key);
  }

  toJSON(): { primary: string; keyIds: string[] } {
    return { primary: this.primaryKeyId, keyIds: this.keyIds() };
  }
}

export const parseKeyring = (content: string): Keyring => Keyring.parse(content);
