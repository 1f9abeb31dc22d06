import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newSecret } from '../core/ids.ts';

/**
 * The admin token: SPACEPORT_ADMIN_TOKEN when set, else the one saved in the data directory,
 * else a new one written there (mode 0600). `created` tells the caller to show it once.
 */
export function loadAdminToken(dataDir: string, fromEnv: string | undefined): { token: string; source: 'env' | 'file' | 'created'; file: string } {
  const file = join(dataDir, 'admin-token');
  if (fromEnv) return { token: fromEnv, source: 'env', file };
  if (existsSync(file)) return { token: readFileSync(file, 'utf8').trim(), source: 'file', file };
  mkdirSync(dataDir, { recursive: true });
  const token = newSecret('spa');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, source: 'created', file };
}
