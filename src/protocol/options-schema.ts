import { z } from 'zod';

/**
 * A space's options schema (docs/spaces.md#options): the options its jobs take, as the subset of
 * JSON Schema that forms and validation need — an object whose properties are numbers, integers,
 * strings, booleans or short arrays of those, each with its range, choices, default and words.
 * The web UI builds its controls from it; the gateway refuses a submit whose options break it
 * (`invalid_options`) before the job is made. Bounded, so a declaration cannot cost more than a
 * small record: 64 properties, 100 choices each.
 */

const Words = { title: z.string().max(128).optional(), description: z.string().max(1000).optional() };
const Choices = <T extends z.ZodType>(item: T) => z.array(item).min(1).max(100).optional();

const NumberProperty = z
  .object({
    type: z.enum(['number', 'integer']),
    minimum: z.number().optional(),
    maximum: z.number().optional(),
    /** The step a slider moves by (JSON Schema's multipleOf; not enforced beyond integers). */
    multipleOf: z.number().positive().optional(),
    enum: Choices(z.number()),
    default: z.number().optional(),
    ...Words,
  })
  .strict();

const StringProperty = z
  .object({
    type: z.literal('string'),
    minLength: z.number().int().min(0).optional(),
    maxLength: z.number().int().min(0).max(65_536).optional(),
    enum: Choices(z.string().max(256)),
    default: z.string().max(4096).optional(),
    ...Words,
  })
  .strict();

const BooleanProperty = z.object({ type: z.literal('boolean'), default: z.boolean().optional(), ...Words }).strict();

const ArrayProperty = z
  .object({
    type: z.literal('array'),
    items: z.object({ type: z.enum(['number', 'integer', 'string']) }).strict(),
    minItems: z.number().int().min(0).optional(),
    maxItems: z.number().int().min(0).max(256).optional(),
    default: z
      .array(z.union([z.number(), z.string()]))
      .max(256)
      .optional(),
    ...Words,
  })
  .strict();

const Property = z.discriminatedUnion('type', [NumberProperty, StringProperty, BooleanProperty, ArrayProperty]);
export type OptionProperty = z.infer<typeof Property>;

const OPTION_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

export const OptionsSchema = z
  .object({
    type: z.literal('object'),
    properties: z.record(z.string().regex(OPTION_NAME, 'option names: letters, digits, _ . - (up to 64)'), Property).refine((p) => Object.keys(p).length <= 64, 'at most 64 options'),
    required: z.array(z.string().max(64)).max(64).optional(),
    /** false: options the schema does not name are refused; absent or true, they pass (a job from the OpenAI API carries its request in `openai`). */
    additionalProperties: z.boolean().optional(),
  })
  .strict()
  .superRefine((schema, ctx) => {
    for (const name of schema.required ?? []) {
      if (!(name in schema.properties)) ctx.addIssue({ code: 'custom', path: ['required'], message: `"${name}" is required but not among the properties` });
    }
    // A default the schema itself refuses would fill every form with an error.
    for (const [name, property] of Object.entries(schema.properties)) {
      const problem = property.default === undefined ? null : valueProblem(property, property.default);
      if (problem) ctx.addIssue({ code: 'custom', path: ['properties', name, 'default'], message: `the default ${problem}` });
    }
  });
export type OptionsSchema = z.infer<typeof OptionsSchema>;

/** What is wrong with a job's options under the space's schema, in words naming the option, or null. */
export function optionsProblem(schema: OptionsSchema, options: Record<string, unknown> | undefined): string | null {
  const given = options ?? {};
  for (const name of schema.required ?? []) if (given[name] === undefined) return `options.${name} is required`;
  for (const [name, value] of Object.entries(given)) {
    const property = Object.hasOwn(schema.properties, name) ? schema.properties[name] : undefined;
    if (!property) {
      if (schema.additionalProperties === false) return `options.${name} is not an option of this space (it takes ${Object.keys(schema.properties).join(', ') || 'none'})`;
      continue;
    }
    const problem = valueProblem(property, value);
    if (problem) return `options.${name}${problem.startsWith('[') ? '' : ' '}${problem}`;
  }
  return null;
}

/** What is wrong with one value under its property, or null. */
function valueProblem(property: OptionProperty, value: unknown): string | null {
  switch (property.type) {
    case 'boolean':
      return typeof value === 'boolean' ? null : 'must be true or false';
    case 'number':
    case 'integer':
      return numberProblem(property, value);
    case 'string': {
      if (typeof value !== 'string') return 'must be a string';
      if (property.enum && !property.enum.includes(value)) return `must be one of ${property.enum.join(', ')}`;
      if (property.minLength !== undefined && value.length < property.minLength) return `must be at least ${property.minLength} characters`;
      if (property.maxLength !== undefined && value.length > property.maxLength) return `must be at most ${property.maxLength} characters`;
      return null;
    }
    case 'array': {
      if (!Array.isArray(value)) return 'must be a list';
      if (property.minItems !== undefined && value.length < property.minItems) return `must have at least ${property.minItems} items`;
      if (property.maxItems !== undefined && value.length > property.maxItems) return `must have at most ${property.maxItems} items`;
      const item = property.items.type;
      const bad = value.findIndex((v) => (item === 'string' ? typeof v !== 'string' : typeof v !== 'number' || !Number.isFinite(v) || (item === 'integer' && !Number.isInteger(v))));
      return bad < 0 ? null : `[${bad}] must be ${item === 'integer' ? 'an integer' : `a ${item}`}`;
    }
  }
}

function numberProblem(property: z.infer<typeof NumberProperty>, value: unknown): string | null {
  const kind = property.type === 'integer' ? 'an integer' : 'a number';
  if (typeof value !== 'number' || !Number.isFinite(value) || (property.type === 'integer' && !Number.isInteger(value))) return `must be ${kind}`;
  if (property.enum && !property.enum.includes(value)) return `must be one of ${property.enum.join(', ')}`;
  const { minimum: lo, maximum: hi } = property;
  if ((lo !== undefined && value < lo) || (hi !== undefined && value > hi)) {
    return `must be ${kind} ${lo !== undefined && hi !== undefined ? `from ${lo} to ${hi}` : lo !== undefined ? `of at least ${lo}` : `of at most ${hi}`}`;
  }
  return null;
}
