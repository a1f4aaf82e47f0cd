import React, { useState } from 'react';
import { Combobox, ComboboxOption, InlineField, InlineSwitch, Input } from '@grafana/ui';

import { formatLabels, parseLabels, toNumber } from '../format';

/**
 * How an option is edited:
 * - text: a string, sent as typed (empty: unset);
 * - number: a number (empty or not a number: unset);
 * - select: one of `values` (or of the choices the editor passes), optionally a custom one;
 * - switch: on or off;
 * - labels: "key=value, key2=value2", sent as an object when the field loses focus.
 */
export type FieldKind = 'text' | 'number' | 'select' | 'switch' | 'labels';

export type FieldValue = string | number | boolean | Record<string, string>;

/** One value of a select: a string, or a value with a label and a description. */
export type FieldChoice = string | { value: string; label?: string; description?: string };

/** One option of an editor: everything its field shows and checks, in one place. */
export interface FieldSpec {
  /** The key of the option in the query (or jsonData). */
  name: string;
  label: string;
  kind: FieldKind;
  /** Width of the control, in grid units. */
  width?: number;
  labelWidth?: number;
  tooltip?: string;
  /** The accessible name of the control when it is not the label. */
  ariaLabel?: string;
  /** The control's id (the label points at it); pickers have one. */
  id?: string;
  /**
   * What the backend uses when the option is unset. Text and number fields show it as
   * their placeholder (unless `placeholder` says otherwise), selects and switches as their value.
   */
  default?: string | number | boolean;
  placeholder?: string;
  /** number: the bounds of the input; min is excluded with `minExclusive`. */
  min?: number;
  max?: number;
  minExclusive?: boolean;
  step?: number;
  integer?: boolean;
  /** number: shown when the value is out of bounds. Options without one are not checked. */
  invalidText?: string;
  /** select: the values offered (unless the editor passes its own choices). */
  values?: readonly FieldChoice[];
  /** select: the value may be cleared (unset). */
  clearable?: boolean;
  /** select: a value that is not offered may be typed in. */
  custom?: boolean;
  /** select: what a typed-in value is used as. */
  customValueDescription?: string;
  /** text: leading and trailing spaces are dropped. */
  trim?: boolean;
  /** text: the value is sent when the field loses focus, not at each key. */
  commitOnBlur?: boolean;
}

export interface OptionFieldProps {
  spec: FieldSpec;
  value: unknown;
  /** A new value; undefined unsets the option. */
  onChange: (value: FieldValue | undefined) => void;
  /** Called when editing is done: after a choice, a switch, or when a typed field loses focus. */
  onRun?: () => void;
  /** select: the choices, when the editor computes them. */
  choices?: Array<ComboboxOption<string>>;
}

/** What InlineField hands its control (it clones the child with these). */
interface ControlProps extends OptionFieldProps {
  invalid?: boolean;
}

/** Whether a number breaks the bounds of its option (only options with an invalidText are checked). */
export function isInvalid(spec: FieldSpec, value: unknown): boolean {
  if (spec.invalidText === undefined || typeof value !== 'number') {
    return false;
  }
  return (
    (spec.integer === true && !Number.isInteger(value)) ||
    (spec.min !== undefined && (spec.minExclusive ? value <= spec.min : value < spec.min)) ||
    (spec.max !== undefined && value > spec.max)
  );
}

function toChoice(c: FieldChoice): ComboboxOption<string> {
  return typeof c === 'string' ? { label: c, value: c } : c;
}

/** One option of an editor, as its spec says: a labelled input, select or switch. */
export function OptionField(props: OptionFieldProps) {
  const { spec, value } = props;
  return (
    <InlineField
      label={spec.label}
      labelWidth={spec.labelWidth}
      tooltip={spec.tooltip}
      htmlFor={spec.id}
      invalid={spec.invalidText === undefined ? undefined : isInvalid(spec, value)}
      error={spec.invalidText}
    >
      <Control {...props} />
    </InlineField>
  );
}

function Control(props: ControlProps) {
  const { spec, value, onChange, onRun, invalid } = props;
  const done = () => onRun?.();
  const input = {
    id: spec.id,
    'aria-label': spec.ariaLabel ?? (spec.id ? undefined : spec.label),
    width: spec.width,
    placeholder: spec.placeholder ?? (spec.default === undefined ? undefined : String(spec.default)),
  };

  switch (spec.kind) {
    case 'switch':
      return (
        <InlineSwitch
          id={spec.id}
          aria-label={input['aria-label']}
          value={typeof value === 'boolean' ? value : spec.default === true}
          onChange={(e) => {
            // The default is sent as unset; the other state as itself.
            const checked = e.currentTarget.checked;
            onChange(checked === (spec.default === true) ? undefined : checked);
            done();
          }}
        />
      );
    case 'select':
      return <SelectControl {...props} />;
    case 'number':
      return (
        <Input
          {...input}
          type="number"
          invalid={invalid}
          min={spec.min}
          max={spec.max}
          step={spec.step}
          value={typeof value === 'number' ? value : ''}
          onChange={(e) => onChange(toNumber(e.currentTarget.value))}
          onBlur={done}
        />
      );
    case 'text':
    case 'labels': {
      const labels = spec.kind === 'labels';
      const parse = (text: string) => (labels ? parseLabels(text) : textValue(spec, text));
      const text = labels ? formatLabels(value as Record<string, string> | undefined) : asText(value);
      if (labels || spec.commitOnBlur) {
        return (
          <DraftInput
            input={input}
            initial={text}
            commit={(typed) => {
              onChange(parse(typed));
              done();
            }}
          />
        );
      }
      return <Input {...input} value={text} onChange={(e) => onChange(parse(e.currentTarget.value))} onBlur={done} />;
    }
  }
}

function asText(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function textValue(spec: FieldSpec, text: string): string | undefined {
  return (spec.trim ? text.trim() : text) || undefined;
}

/** A text input that keeps what is typed and sends it when it loses focus. */
function DraftInput({
  input,
  initial,
  commit,
}: {
  input: React.ComponentProps<typeof Input>;
  initial: string;
  commit: (text: string) => void;
}) {
  const [text, setText] = useState(initial);
  return <Input {...input} value={text} onChange={(e) => setText(e.currentTarget.value)} onBlur={() => commit(text)} />;
}

function SelectControl({ spec, value, onChange, onRun, choices, invalid }: ControlProps) {
  const options = choices ?? (spec.values ?? []).map(toChoice);
  const current =
    typeof value === 'string' && value !== '' ? value : typeof spec.default === 'string' ? spec.default : null;
  const pick = (v: string | undefined) => {
    onChange(v || undefined);
    onRun?.();
  };
  const common = {
    id: spec.id,
    width: spec.width,
    invalid,
    placeholder: spec.placeholder,
    createCustomValue: spec.custom,
    customValueDescription: spec.customValueDescription,
    options,
    value: current,
  };
  if (spec.clearable) {
    return <Combobox<string> {...common} isClearable onChange={(o) => pick(o?.value)} />;
  }
  return <Combobox<string> {...common} onChange={(o) => pick(o.value)} />;
}
