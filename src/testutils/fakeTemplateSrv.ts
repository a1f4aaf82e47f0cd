import { ScopedVars } from '@grafana/data';
import { TemplateSrv } from '@grafana/runtime';

type Value = string | string[];

/**
 * A small stand-in for Grafana's TemplateSrv: `$name` and `${name}` are replaced, a
 * formatter function receives the raw value (an array for multi-value variables), and the
 * default format renders arrays as Grafana's glob `{a,b}`.
 */
export function fakeTemplateSrv(vars: Record<string, Value>): TemplateSrv {
  const lookup = (name: string, scopedVars?: ScopedVars): Value | undefined => {
    const scoped = scopedVars?.[name]?.value;
    if (scoped !== undefined) {
      return scoped as Value;
    }
    return vars[name];
  };
  const srv = {
    getVariables: () => Object.keys(vars).map((name) => ({ name, type: 'custom', label: name })),
    replace: (target?: string, scopedVars?: ScopedVars, format?: string | Function) => {
      if (!target) {
        return target ?? '';
      }
      return target.replace(/\$\{(\w+)(?::(\w+))?\}|\$(\w+)/g, (match, braced, fmt, plain) => {
        const name = braced ?? plain;
        const value = lookup(name, scopedVars);
        if (value === undefined) {
          return match;
        }
        const f = fmt ?? format;
        if (typeof f === 'function') {
          return f(value, { name }, () => '');
        }
        if (f === 'raw' || f === 'text') {
          return Array.isArray(value) ? value.join(',') : value;
        }
        return Array.isArray(value) ? `{${value.join(',')}}` : value;
      });
    },
    containsTemplate: (target?: string) => !!target && /\$\w+|\$\{\w+/.test(target),
    updateTimeRange: () => {},
  };
  return srv as unknown as TemplateSrv;
}
