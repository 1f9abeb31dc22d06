import { newId, newSecret } from '../core/ids.ts';
import type { CredentialKind, CredentialRecord } from '../core/ports/records.ts';
import type { Engine } from '../core/engine-port.ts';
import { hashSecret } from './auth.ts';

const PREFIX: Record<CredentialKind, { secret: string; id: string }> = {
  api_key: { secret: 'spk', id: 'key' },
  worker_token: { secret: 'spw', id: 'wtok' },
  web_session: { secret: 'sps', id: 'ses' },
};

/** Makes a credential: the secret is returned once and only its hash is stored. */
export async function issueCredential(
  engine: Engine,
  kind: CredentialKind,
  name: string,
  owner: { spaceId?: string | null; userId?: string | null; expiresAt?: number | null; adminToken?: string; maxPriority?: number | undefined; fairWeight?: number | undefined } = {},
): Promise<{ secret: string; record: CredentialRecord }> {
  const secret = newSecret(PREFIX[kind].secret);
  const record: CredentialRecord = {
    id: newId(PREFIX[kind].id),
    kind,
    name,
    hash: hashSecret(secret),
    hint: secret.slice(0, 8),
    space_id: owner.spaceId ?? null,
    user_id: owner.userId ?? null,
    expires_at: owner.expiresAt ?? null,
    ...(owner.adminToken !== undefined && { admin_token: owner.adminToken }),
    ...(owner.maxPriority !== undefined && { max_priority: owner.maxPriority }),
    ...(owner.fairWeight !== undefined && { fair_weight: owner.fairWeight }),
    created_at: Date.now(),
    revoked_at: null,
  };
  await engine.createCredential(record);
  return { secret, record };
}

/** What the API shows of a credential: never the hash, never the secret (that is shown once, at creation). */
export function publicCredential(c: CredentialRecord) {
  return {
    id: c.id,
    name: c.name,
    hint: c.hint,
    space_id: c.space_id,
    created_at: new Date(c.created_at).toISOString(),
    revoked: c.revoked_at !== null,
    ...(typeof c.max_priority === 'number' && { max_priority: c.max_priority }),
    ...(typeof c.fair_weight === 'number' && { fair_weight: c.fair_weight }),
  };
}
