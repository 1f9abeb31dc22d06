import { createMemoryEngine } from '../fakes/memory-engine.ts';
import { runEngineContract } from '../contract/engine-contract.ts';

// The in-memory double core's unit tests use keeps every promise the real engines keep.
runEngineContract('memory (test double)', async () => ({ engine: createMemoryEngine() }));
