// AES-256-GCM for Secret payloads. This is the one file of the library that imports node:crypto and the one place
// that uses randomness (the per-event IV). Both are documented exceptions to "pure libraries get inputs, not
// effects": encryption is I/O-free, and the randomness is injectable (`RandomBytes`) so tests can pin it. Nothing
// else in the library may read randomness.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { ErrorCode, FederationError } from "./errors.ts";

export type RandomBytes = (size: number) => Uint8Array;
export const defaultRandomBytes: RandomBytes = (size) => randomBytes(size);

export const GCM_IV_BYTES = 12;
export const GCM_TAG_BYTES = 16;
const ALGORITHM = "aes-256-gcm";

export interface EncryptedPayload {
  readonly keyId: string;
  readonly iv: Buffer;
  readonly ciphertext: Buffer;
  readonly tag: Buffer;
}

/**
 * Encrypts with a fresh random IV. `aad` binds the ciphertext to its event (see codec.ts), so a ciphertext copied
 * into another event fails authentication instead of decrypting under the wrong identity.
 */
export function encryptPayload(
  plaintext: Buffer,
  keyId: string,
  key: Buffer,
  aad: Buffer,
  random: RandomBytes = defaultRandomBytes,
): EncryptedPayload {
  const iv = Buffer.from(random(GCM_IV_BYTES));
  if (iv.length !== GCM_IV_BYTES) {
    const message = `randomBytes returned ${iv.length} bytes, want ${GCM_IV_BYTES}`;
    throw new FederationError(ErrorCode.Internal, message, { retryable: false });
  }
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: GCM_TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { keyId, iv, ciphertext, tag: cipher.getAuthTag() };
}

/** Decrypts and authenticates; any tampering (or a wrong key under the right id) is a poison event. */
export function decryptPayload(payload: EncryptedPayload, key: Buffer, aad: Buffer): Buffer {
  // Checked explicitly: GCM would otherwise accept truncated tags, weakening authentication.
  if (payload.iv.length !== GCM_IV_BYTES || payload.tag.length !== GCM_TAG_BYTES) {
    throw new FederationError(ErrorCode.PoisonEvent, "encrypted payload has a malformed IV or auth tag");
  }
  try {
    const decipher = createDecipheriv(ALGORITHM, key, payload.iv, { authTagLength: GCM_TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(payload.tag);
    return Buffer.concat([decipher.update(payload.ciphertext), decipher.final()]);
  } catch (cause) {
    throw new FederationError(
      ErrorCode.PoisonEvent,
      `encrypted payload failed authentication under key ${JSON.stringify(payload.keyId)} (tampered, or the key differs from the writer's)`,
      { cause },
    );
  }
}
