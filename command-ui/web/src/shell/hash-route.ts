import { useEffect, useState } from 'react';

/**
 * Hash routing: `#/cameras/new` → ['cameras', 'new']. No router package; the hash keeps deep links
 * working when the app is served as static files behind the API. A query after the path
 * (`#/playback/<id>?from=…`) is not part of the segments: read it with `parseHashQuery`.
 */
export function parseHash(hash: string): string[] {
  return hash
    .replace(/^#\/?/, '')
    .replace(/\?.*$/, '')
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => decodeURIComponent(s));
}

export function hrefFor(...segments: string[]): string {
  return `#/${segments.map((s) => encodeURIComponent(s)).join('/')}`;
}

/** The query of the hash: `#/playback/x?from=2026-03-07T10:00:00Z` → { from: '2026-03-07T10:00:00Z' }. */
export function parseHashQuery(hash: string): Record<string, string> {
  const at = hash.indexOf('?');
  if (at < 0) return {};
  return Object.fromEntries(new URLSearchParams(hash.slice(at + 1)));
}

/** `hrefFor` with a query; empty values are left out. */
export function hrefWithQuery(segments: readonly string[], query: Readonly<Record<string, string | null | undefined>>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value) params.set(key, value);
  const text = params.toString();
  return text ? `${hrefFor(...segments)}?${text}` : hrefFor(...segments);
}

export function navigate(...segments: string[]): void {
  window.location.hash = hrefFor(...segments);
}

export function useHashRoute(): string[] {
  const [segments, setSegments] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const onChange = () => setSegments(parseHash(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return segments;
}

/** The hash query, re-read on every hash change (as a string, so it compares by value). */
export function useHashQueryString(): string {
  const read = () => {
    const at = window.location.hash.indexOf('?');
    return at < 0 ? '' : window.location.hash.slice(at + 1);
  };
  const [query, setQuery] = useState(read);
  useEffect(() => {
    const onChange = () => setQuery(read());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return query;
}
