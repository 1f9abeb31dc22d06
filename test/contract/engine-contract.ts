import { blobsContract } from './blobs.contract.ts';
import { busContract } from './bus.contract.ts';
import { deliveriesContract } from './deliveries.contract.ts';
import type { MakeEngine } from './harness.ts';
import { jobsContract } from './jobs.contract.ts';
import { recordsContract } from './records.contract.ts';

/**
 * Everything an engine promises (the MUSTs of src/core/ports/), one suite per port. An engine's
 * test file calls this once; `test/unit/contract-coverage.test.ts` checks that every member of
 * every port is exercised by its suite.
 */
export function runEngineContract(name: string, makeEngine: MakeEngine): void {
  jobsContract(name, makeEngine);
  busContract(name, makeEngine);
  blobsContract(name, makeEngine);
  recordsContract(name, makeEngine);
  deliveriesContract(name, makeEngine);
}
