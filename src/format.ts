import { DefinitionError } from './types';

/** Renders one definition error as "file line N: slo: message". */
export function formatDefinitionError(e: DefinitionError): string {
  const where = [e.file && e.file !== 'inline' ? e.file : '', e.line ? `line ${e.line}` : ''].filter(Boolean).join(' ');
  const slo = e.slo ? `${e.slo}: ` : '';
  return `${where ? where + ': ' : ''}${slo}${e.message}`;
}

/** The message of a failed request to the backend (or of any error). */
export function errorText(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as {
      data?: { message?: string; error?: string };
      message?: string;
      statusText?: string;
      status?: number;
    };
    return e.data?.error || e.data?.message || e.message || e.statusText || `HTTP ${e.status ?? 'error'}`;
  }
  return String(err);
}

/** "k=v, k2=v2" from a labels object. */
export function formatLabels(labels: Record<string, string> | undefined): string {
  return Object.entries(labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

/** A labels object from "k=v, k2=v2"; undefined when there is none. */
export function parseLabels(text: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    const i = part.indexOf('=');
    if (i <= 0) {
      continue;
    }
    const k = part.slice(0, i).trim();
    if (k) {
      out[k] = part.slice(i + 1).trim();
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The number typed in a field; undefined when it is empty or not a number. */
export function toNumber(raw: string): number | undefined {
  if (raw.trim() === '') {
    return undefined;
  }
  const n = Number(raw);
  return Number.isFinite(n) ? n : undefined;
}
