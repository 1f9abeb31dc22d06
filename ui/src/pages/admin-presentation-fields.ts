import type { OptionsSchema } from '../../../src/protocol/options-schema.ts';
import { OUTPUT_KINDS, type Example, type OutputKind } from '../../../src/protocol/space-presentation.ts';
import { h } from '../dom.ts';

/** What the space editor knows of a space's presentation. */
export interface Presented {
  output?: OutputKind;
  options_schema?: OptionsSchema;
  examples?: Example[];
}

/**
 * The space editor's presentation fields (docs/spaces.md#presentation): the output kind, and the
 * options schema and examples as JSON (a worker that declares them replaces what is set here when
 * it registers). `read` gives the PATCH/POST fields, null clearing one, or what is wrong.
 */
export function presentationFields(space: Presented | null): { element: HTMLElement; read(): Record<string, unknown> | string } {
  const output = h('select', { id: 'space-output' }, h('option', { value: '' }, 'not declared (shown as found)'), ...OUTPUT_KINDS.map((k) => h('option', { value: k }, k)));
  output.value = space?.output ?? '';
  const schema = h('textarea', {
    id: 'space-options-schema',
    rows: 6,
    spellcheck: false,
    placeholder: '{"type": "object", "properties": {"temperature": {"type": "number", "minimum": 0, "maximum": 2, "default": 0.7}}}',
  });
  schema.value = space?.options_schema ? JSON.stringify(space.options_schema, null, 2) : '';
  const examples = h('textarea', { id: 'space-examples', rows: 4, spellcheck: false, placeholder: '[{"label": "A short one", "prompt": "Once upon a time", "options": {"temperature": 0.5}}]' });
  examples.value = space?.examples ? JSON.stringify(space.examples, null, 2) : '';
  const json = (box: HTMLTextAreaElement, what: string): unknown => {
    if (box.value.trim() === '') return null;
    try {
      return JSON.parse(box.value);
    } catch (err) {
      return new Error(`The ${what} is not JSON: ${(err as Error).message}`);
    }
  };
  return {
    element: h(
      'details',
      { id: 'space-presentation', open: !!(space?.output || space?.options_schema || space?.examples) },
      h('summary', {}, 'Presentation: what results are, options, examples'),
      h('label', { for: 'space-output' }, 'Results are', output),
      h('label', { for: 'space-options-schema' }, 'Options schema (JSON Schema: numbers, integers, strings, booleans, short lists; empty for none)'),
      schema,
      h('label', { for: 'space-examples' }, 'Examples (JSON list of {label, prompt, options, files: [{url, name}]}; empty for none)'),
      examples,
    ),
    read() {
      const options_schema = json(schema, 'options schema');
      const list = json(examples, 'examples list');
      for (const v of [options_schema, list]) if (v instanceof Error) return v.message;
      return { output: output.value || null, options_schema, examples: list };
    },
  };
}
