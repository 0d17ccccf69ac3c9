import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { Locale } from '../../../../contracts/api.ts';
import { en } from './en.ts';
import { zhCN } from './zh-CN.ts';
import { formatMessage, isLocale, localeFromLanguage, LOCALE_STORAGE_KEY, type MessageKey, type Messages } from './messages.ts';

const DICTIONARIES: Readonly<Record<Locale, Messages>> = { 'zh-CN': zhCN, en };

export type Translate = (key: MessageKey, values?: Readonly<Record<string, string | number>>) => string;

export interface I18n {
  locale: Locale;
  setLocale(locale: Locale): void;
  t: Translate;
  /** Date and time in the current locale, 24-hour clock. */
  formatDateTime(iso: string | null | undefined): string;
}

const I18nContext = createContext<I18n | null>(null);

const pad = (n: number) => String(n).padStart(2, '0');

/** `2026-03-07 14:05:09`, local time: the same unambiguous 24-hour form in every language. */
export function formatLocalDateTime(date: Date): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** The stored choice wins; otherwise the browser's language (zh* → 中文, else English). */
export function initialLocale(): Locale {
  try {
    const stored = window.localStorage.getItem(LOCALE_STORAGE_KEY);
    if (isLocale(stored)) return stored;
  } catch {
    // storage unavailable (privacy mode): fall through to the browser language
  }
  return localeFromLanguage(window.navigator.language);
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(initialLocale);

  const setLocale = useCallback((next: Locale) => {
    setLocaleState(next);
    try {
      window.localStorage.setItem(LOCALE_STORAGE_KEY, next);
    } catch {
      // not persisted; the choice still applies to this page
    }
  }, []);

  useEffect(() => {
    document.documentElement.lang = locale;
    document.title = `${DICTIONARIES[locale]['app.name']} · ${DICTIONARIES[locale]['app.subtitle']}`;
  }, [locale]);

  const value = useMemo<I18n>(() => {
    const dictionary = DICTIONARIES[locale];
    return {
      locale,
      setLocale,
      t: (key, values) => formatMessage(dictionary[key], values),
      formatDateTime: (iso) => {
        if (!iso) return dictionary['common.none'];
        const date = new Date(iso);
        return Number.isNaN(date.getTime()) ? iso : formatLocalDateTime(date);
      },
    };
  }, [locale, setLocale]);

  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const value = useContext(I18nContext);
  if (!value) throw new Error('useI18n() outside <I18nProvider>');
  return value;
}
