/** Both SDKs for Node in one import (the package splits them: `spaceport/client`, `spaceport/worker`). */
export * from './node-client.ts';
export * from './worker/index.ts';
