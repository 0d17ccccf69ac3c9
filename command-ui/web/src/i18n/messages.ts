import type { Locale } from '../../../../contracts/api.ts';
import type { ErrorCode } from '../../../../contracts/errors.ts';
import { en } from './en.ts';

/** Every dictionary has exactly the keys of the English one. */
export type MessageKey = keyof typeof en;
export type Messages = { readonly [K in MessageKey]: string };

export const LOCALES: readonly Locale[] = ['zh-CN', 'en'];
export const LOCALE_STORAGE_KEY = 'argus.locale';

/** zh, zh-CN, zh-TW, … → zh-CN; anything else → en. */
export function localeFromLanguage(language: string | undefined | null): Locale {
  return language && language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

export function isLocale(value: unknown): value is Locale {
  return value === 'zh-CN' || value === 'en';
}

/** Fill `{name}` placeholders. Unknown placeholders are left as written. */
export function formatMessage(template: string, values?: Readonly<Record<string, string | number>>): string {
  if (!values) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = values[name];
    return value === undefined ? whole : String(value);
  });
}

/** Translated title of each API error code. */
export const ERROR_TITLE_KEYS: Readonly<Record<ErrorCode, MessageKey>> = {
  E_VALIDATION: 'error.E_VALIDATION',
  E_UNAUTHENTICATED: 'error.E_UNAUTHENTICATED',
  E_FORBIDDEN: 'error.E_FORBIDDEN',
  E_NOT_FOUND: 'error.E_NOT_FOUND',
  E_CONFLICT: 'error.E_CONFLICT',
  E_RATE_LIMITED: 'error.E_RATE_LIMITED',
  E_CONFIG: 'error.E_CONFIG',
  E_UNAVAILABLE: 'error.E_UNAVAILABLE',
  E_INTERNAL: 'error.E_INTERNAL',
};
