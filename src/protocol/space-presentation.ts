import { z } from 'zod';
import { OPTIONS_BOUNDS, Options, jsonBoundsProblem } from './json-bounds.ts';
import { OptionsSchema } from './options-schema.ts';

/**
 * How a space presents itself to people (docs/spaces.md#presentation): what its results are, the
 * options its jobs take, and examples to start from. An admin sets them on the space; a worker may
 * declare them when it registers (the model knows its options best), and the latest word wins.
 */

/** What a space's results are, so a page shows them as that (the raw JSON stays one click away). */
export const OUTPUT_KINDS = ['text', 'image', 'boxes', 'video', 'audio', '3d', 'table', 'json'] as const;
export type OutputKind = (typeof OUTPUT_KINDS)[number];

/** Where an example's file is fetched from by the page: a path on the gateway, https, or the bytes themselves (a data: URL). */
const ExampleUrl = z
  .string()
  .max(48 * 1024)
  .refine((url) => /^(\/(?!\/)|https:\/\/|data:[\w.+-]+\/[\w.+-]+;base64,)/.test(url), 'a path on the gateway (/…), an https:// URL or a base64 data: URL');

export const Example = z
  .object({
    label: z.string().max(128).optional(),
    prompt: z
      .string()
      .max(16 * 1024)
      .optional(),
    options: Options.optional(),
    files: z
      .array(z.object({ url: ExampleUrl, name: z.string().min(1).max(255), input: z.enum(['image', 'audio', 'video', 'files']).optional() }).strict())
      .max(8)
      .optional(),
  })
  .strict();
export type Example = z.infer<typeof Example>;

/** Examples take at most this much JSON together: a space record is read with every submit. */
export const EXAMPLES_MAX_BYTES = 64 * 1024;

export const Examples = z
  .array(Example)
  .max(20)
  .superRefine((examples, ctx) => {
    if (jsonBoundsProblem(examples, { ...OPTIONS_BOUNDS, maxBytes: EXAMPLES_MAX_BYTES }))
      ctx.addIssue({ code: 'custom', message: `examples take at most ${EXAMPLES_MAX_BYTES} bytes of JSON together` });
  });

/** The presentation fields of a space, as an admin sets them (null clears one) and a worker declares them. */
export const presentationFields = {
  output: z.enum(OUTPUT_KINDS).nullable(),
  options_schema: OptionsSchema.nullable(),
  examples: Examples.nullable(),
};

/** What a worker may declare per space at registration (`register.declare`). */
export const SpaceDeclaration = z.object(presentationFields).partial().strict();
export type SpaceDeclaration = z.infer<typeof SpaceDeclaration>;

/** The presentation a space carries (absent fields: none declared). */
export interface SpacePresentation {
  output?: OutputKind;
  options_schema?: OptionsSchema;
  examples?: Example[];
}

/** A space with `declared` applied: given fields replace, null ones are removed. */
export function withPresentation<T extends SpacePresentation>(space: T, declared: SpaceDeclaration): T {
  const out: T = { ...space };
  for (const key of ['output', 'options_schema', 'examples'] as const) {
    const value = declared[key];
    if (value === null) delete out[key];
    else if (value !== undefined) (out as SpacePresentation)[key] = value as never;
  }
  return out;
}

/** Only the presentation fields of a space (for its public page: GET /v1/spaces/{name}). */
export const presentationOf = ({ output, options_schema, examples }: SpacePresentation): SpacePresentation => ({
  ...(output && { output }),
  ...(options_schema && { options_schema }),
  ...(examples && { examples }),
});
