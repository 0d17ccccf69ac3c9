import { useEffect, useState } from 'react';

/**
 * Hash routing: `#/cameras/new` → ['cameras', 'new']. No router package; the hash keeps deep links
 * working when the app is served as static files behind the API.
 */
export function parseHash(hash: string): string[] {
  return hash
    .replace(/^#\/?/, '')
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => decodeURIComponent(s));
}

export function hrefFor(...segments: string[]): string {
  return `#/${segments.map((s) => encodeURIComponent(s)).join('/')}`;
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
