import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

/** Each port's interfaces, and the contract suite that must exercise every one of their members. */
const PORTS = [
  { port: 'jobs', interfaces: ['JobStore'] },
  { port: 'bus', interfaces: ['Bus'] },
  { port: 'blobs', interfaces: ['BlobStore'] },
  { port: 'records', interfaces: ['SpaceRecords', 'AccountRecords', 'SessionRecords', 'Presence', 'ConnectionCounts'] },
  { port: 'deliveries', interfaces: ['DeliveryRecords'] },
];

/** The members an interface declares: `name(`, `name?(`, `readonly name:`, at the interface's own indentation. */
function membersOf(source: string, name: string): string[] {
  const body = new RegExp(`export interface ${name}\\b[^{]*\\{\\n([\\s\\S]*?)\\n\\}`).exec(source)?.[1];
  if (body === undefined) throw new Error(`no interface ${name}`);
  return [...body.matchAll(/^ {2}(?:readonly )?(\w+)\??[(:]/gm)].map((m) => m[1]!);
}

describe('the contract suites cover their ports', () => {
  for (const { port, interfaces } of PORTS) {
    it(`exercises every member of the ${port} port on every engine`, () => {
      const source = readFileSync(join(root, 'src', 'core', 'ports', `${port}.ts`), 'utf8');
      const suite = readFileSync(join(root, 'test', 'contract', `${port}.contract.ts`), 'utf8');
      const members = interfaces.flatMap((i) => membersOf(source, i));
      expect(members.length).toBeGreaterThanOrEqual(interfaces.length * 2);
      // A call (`.name(`, `.name!(`, `.name?.(`) or a read (`.connectionCounts`) in the suite.
      const untested = members.filter((m) => !new RegExp(`\\.${m}\\b`).test(suite));
      expect(untested).toEqual([]);
    });
  }
});
