import type { Example } from '../../src/protocol/space-presentation.ts';
import { h } from './dom.ts';

/** Where an example goes on the space's form. */
export interface ExampleTarget {
  prompt?: HTMLTextAreaElement | undefined;
  /** The file inputs by input kind (image, audio, video, files). */
  files: Map<string, HTMLInputElement>;
  options?: { set(options: Record<string, unknown>): void } | undefined;
}

/**
 * A space's examples as buttons, like Gradio's: one click fills the form — the prompt, the options
 * and the files (fetched from where the example says: the gateway, https, or bytes in the example
 * itself) — ready to submit or to change first.
 */
export function exampleList(examples: Example[], target: ExampleTarget, failed: (message: string) => void): HTMLElement {
  const buttons = examples.map((example, i) =>
    h(
      'button',
      {
        type: 'button',
        class: 'example',
        'data-example': i,
        onclick: () => void fillWith(example, target).catch((err) => failed(`This example's file could not be fetched: ${String(err)}`)),
      },
      example.label ?? example.prompt?.slice(0, 60) ?? example.files?.map((f) => f.name).join(', ') ?? `Example ${i + 1}`,
    ),
  );
  return h('div', { id: 'examples', class: 'examples' }, h('span', { class: 'hint' }, 'Examples: '), ...buttons);
}

async function fillWith(example: Example, target: ExampleTarget): Promise<void> {
  if (target.prompt) target.prompt.value = example.prompt ?? '';
  target.options?.set(example.options ?? {});
  const byInput = new Map<string, File[]>();
  for (const f of example.files ?? []) {
    const res = await fetch(f.url);
    if (!res.ok) throw new Error(`${f.name}: HTTP ${res.status}`);
    const blob = await res.blob();
    const top = blob.type.split('/')[0]!;
    const input = f.input ?? (['image', 'audio', 'video'].includes(top) ? top : 'files');
    byInput.set(input, [...(byInput.get(input) ?? []), new File([blob], f.name, { type: blob.type })]);
  }
  for (const [kind, input] of target.files) {
    const files = new DataTransfer();
    for (const file of byInput.get(kind) ?? []) files.items.add(file);
    input.files = files.files;
    input.dispatchEvent(new Event('change'));
  }
}
