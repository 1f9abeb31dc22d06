/** Both SDKs for Node in one import (the package splits them: `spaceport/client`, `spaceport/worker`). */
export * from './node-client.ts';
export { serve, type WorkerOptions, type JobContext, type WorkerJob, type Handler } from './worker/serve.ts';
