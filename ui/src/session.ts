import { SpaceportClient } from '../../src/sdk/browser.ts';
import { api, type Me } from './api.ts';

let me: Promise<Me> | undefined;
let client: SpaceportClient | undefined;

/** Who the visitor is (cached until sign-in or sign-out). */
export function whoAmI(refresh = false): Promise<Me> {
  if (refresh || !me) me = api<Me>('GET', '/v1/me');
  return me;
}

/** One SDK connection for the whole page; the browser sends the sign-in cookie with the upgrade. */
export function sdk(): SpaceportClient {
  client ??= new SpaceportClient({ url: location.origin });
  return client;
}

/** After signing in or out, the socket must be re-opened to carry the new identity. */
export function resetIdentity(): void {
  client?.close();
  client = undefined;
  me = undefined;
}
