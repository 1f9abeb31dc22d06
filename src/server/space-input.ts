import { newId, newSecret } from '../core/ids.ts';
import { DEFAULT_MAX_BYTES, SPACE_DEFAULTS } from '../core/space-rules.ts';
import { INPUT_KINDS, type InputKind, type InputRule, type Space } from '../core/types.ts';
import type { InputsInput, SpaceCreate, SpaceUpdate } from '../protocol/rest-schemas.ts';
import { withPresentation } from '../protocol/space-presentation.ts';

/** Turns the admin's input toggles (a list of kinds, or kind → true/false/{max_bytes, mime}) into rules. */
export function normalizeInputs(input: InputsInput): Space['inputs'] {
  const rules: Partial<Record<InputKind, InputRule>> = {};
  if (Array.isArray(input)) {
    for (const kind of input) rules[kind] = { max_bytes: DEFAULT_MAX_BYTES[kind], mime: [] };
    return rules;
  }
  for (const kind of INPUT_KINDS) {
    const value = input[kind];
    if (value === undefined || value === false) continue;
    rules[kind] = value === true ? { max_bytes: DEFAULT_MAX_BYTES[kind], mime: [] } : { max_bytes: value.max_bytes ?? DEFAULT_MAX_BYTES[kind], mime: value.mime ?? [] };
  }
  return rules;
}

export function newSpace(body: SpaceCreate): Space {
  const now = Date.now();
  const { output = null, options_schema = null, examples = null } = body;
  const space = withWebhookSecret({
    id: newId('space'),
    name: body.name,
    description: body.description ?? '',
    inputs: normalizeInputs(body.inputs ?? ['prompt']),
    timeout_s: body.timeout_s ?? SPACE_DEFAULTS.timeout_s,
    max_queue: body.max_queue ?? SPACE_DEFAULTS.max_queue,
    max_attempts: body.max_attempts ?? SPACE_DEFAULTS.max_attempts,
    access: body.access ?? SPACE_DEFAULTS.access,
    open_registration: body.open_registration ?? false,
    visibility: body.visibility ?? 'owner',
    queue_policy: body.queue_policy ?? 'fair',
    retry_delay_ms: body.retry_delay_ms ?? SPACE_DEFAULTS.retry_delay_ms,
    retry_max_delay_ms: body.retry_max_delay_ms ?? SPACE_DEFAULTS.retry_max_delay_ms,
    ...(body.webhook_url && { webhook_url: body.webhook_url }),
    ...(body.webhook_events && { webhook_events: body.webhook_events }),
    created_at: now,
    updated_at: now,
  });
  return withPresentation(space, { output, options_schema, examples });
}

export function updatedSpace(space: Space, body: SpaceUpdate): Space {
  const { inputs, output, options_schema, examples, ...rest } = body;
  const updated = withWebhookSecret({ ...space, ...rest, ...(inputs !== undefined && { inputs: normalizeInputs(inputs) }), updated_at: Date.now() });
  return withPresentation(updated, { output, options_schema, examples });
}

/** Every space has a secret its webhook deliveries are signed with (made once; an admin may make a new one). */
export const withWebhookSecret = (space: Space): Space => (space.webhook_secret ? space : { ...space, webhook_secret: newSecret('whsec') });
