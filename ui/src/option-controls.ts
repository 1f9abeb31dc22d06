import type { OptionProperty, OptionsSchema } from '../../src/protocol/options-schema.ts';
import { h } from './dom.ts';

/** The form's controls for a space's options: read what is set, or set them (an example). */
export interface OptionControls {
  element: HTMLElement;
  /** The options to send (those left at an unset optional value are left out), or what is wrong, in words. */
  read(): Record<string, unknown> | string;
  /** Sets each named option's control (others back to their defaults). */
  set(options: Record<string, unknown>): void;
}

interface Control {
  element: HTMLElement;
  read(): unknown;
  set(value: unknown): void;
}

/**
 * Controls built from a space's options schema, Gradio-style: a slider with its number for a
 * bounded number, a select for choices, a checkbox for a boolean, a text box otherwise — each
 * labelled with its title, its description beside it, starting at its default. The gateway checks
 * the same schema on submit; the form only saves a round trip.
 */
export function optionControls(schema: OptionsSchema): OptionControls {
  const controls = new Map<string, { property: OptionProperty; control: Control }>();
  const box = h('fieldset', { id: 'options', class: 'options' }, h('legend', {}, 'Options'));
  for (const [name, property] of Object.entries(schema.properties)) {
    const id = `option-${name}`;
    const control = controlFor(id, property);
    controls.set(name, { property, control });
    box.append(
      h(
        'div',
        { class: 'option', 'data-option': name },
        h('label', { for: id }, property.title ?? name),
        control.element,
        property.description ? h('p', { class: 'hint' }, property.description) : null,
      ),
    );
  }
  const set = (options: Record<string, unknown>) => {
    for (const [name, { property, control }] of controls) control.set(options[name] ?? property.default);
  };
  set({});
  return {
    element: box,
    set,
    read() {
      const out: Record<string, unknown> = {};
      for (const [name, { property, control }] of controls) {
        const value = control.read();
        if (value === undefined) {
          if (schema.required?.includes(name)) return `${property.title ?? name} is needed.`;
          continue;
        }
        if (typeof value === 'number' && Number.isNaN(value)) return `${property.title ?? name} must be a number.`;
        out[name] = value;
      }
      return out;
    },
  };
}

function controlFor(id: string, property: OptionProperty): Control {
  switch (property.type) {
    case 'boolean': {
      const box = h('input', { type: 'checkbox', id });
      return { element: box, read: () => box.checked, set: (v) => (box.checked = v === true) };
    }
    case 'string':
    case 'number':
    case 'integer':
      if (property.enum) return choice(id, property.enum, property.type !== 'string');
      if (property.type === 'string') {
        const text = h('input', { type: 'text', id, ...(property.maxLength !== undefined && { maxlength: property.maxLength }) });
        return { element: text, read: () => (text.value === '' ? undefined : text.value), set: (v) => (text.value = typeof v === 'string' ? v : '') };
      }
      return numberControl(id, property);
    case 'array': {
      // A short list typed as comma-separated values: "0, 0, 10, 0".
      const text = h('input', { type: 'text', id, placeholder: property.items.type === 'string' ? 'a, b, c' : '1, 2, 3' });
      const numbers = property.items.type !== 'string';
      return {
        element: text,
        read: () => (text.value.trim() === '' ? undefined : text.value.split(',').map((part) => (numbers ? Number(part.trim()) : part.trim()))),
        set: (v) => (text.value = Array.isArray(v) ? v.join(', ') : ''),
      };
    }
  }
}

function choice(id: string, values: Array<string | number>, numeric: boolean): Control {
  const select = h('select', { id }, ...values.map((v) => h('option', { value: String(v) }, String(v))));
  return { element: select, read: () => (numeric ? Number(select.value) : select.value), set: (v) => (select.value = v === undefined ? String(values[0]) : String(v)) };
}

/** A slider with the number beside it when the range is known (both move together), a number box when not. */
function numberControl(id: string, property: Extract<OptionProperty, { type: 'number' | 'integer' }>): Control {
  const step = property.multipleOf ?? (property.type === 'integer' ? 1 : 'any');
  const number = h('input', { type: 'number', id, step, ...(property.minimum !== undefined && { min: property.minimum }), ...(property.maximum !== undefined && { max: property.maximum }) });
  const read = () => (number.value === '' ? undefined : Number(number.value));
  if (property.minimum === undefined || property.maximum === undefined) return { element: number, read, set: (v) => (number.value = typeof v === 'number' ? String(v) : '') };
  const slider = h('input', { type: 'range', min: property.minimum, max: property.maximum, step, 'aria-label': `${property.title ?? id} slider`, tabindex: -1 });
  slider.addEventListener('input', () => (number.value = slider.value));
  number.addEventListener('input', () => (slider.value = number.value));
  return {
    element: h('div', { class: 'slider' }, slider, number),
    read,
    set: (v) => {
      number.value = typeof v === 'number' ? String(v) : '';
      slider.value = typeof v === 'number' ? String(v) : String(property.minimum);
    },
  };
}
