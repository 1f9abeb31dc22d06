/** The worker SDK (`spaceport/worker`): `serve`, and helpers for jobs from the OpenAI API. */
export { RetryableError, serve, type WorkerOptions, type JobContext, type WorkerJob, type Handler, type RunningWorker } from './serve.ts';
export { openAiRequest, openAiResult, openAiToolCallPiece, type OpenAiMessage, type OpenAiRequest, type OpenAiToolCall } from './openai.ts';
export type { SpaceDeclaration, OutputKind, Example } from '../../protocol/space-presentation.ts';
export type { OptionsSchema, OptionProperty } from '../../protocol/options-schema.ts';
