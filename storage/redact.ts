/**
 * The one redaction function for addresses that may hold credentials (RTSP/ONVIF camera URLs,
 * database and Redis URLs, webhook addresses). Everything that puts an address into a log line, an
 * error message or an API reply passes it through `redactUrl` first.
 *
 * It works on plain text, not only on well-formed URLs: camera URLs are often typed by hand with
 * unescaped `@` or `/` in the password, and such a string must still come out without the secret.
 * When in doubt it hides more, never less.
 */

export const REDACTED = '***';

/** Query or keyword parameters whose value is a secret (`?password=...`, `&pwd=...`, `password=...` in libpq strings). */
const SECRET_PARAMS = ['password', 'passwd', 'pwd', 'pass', 'secret', 'token', 'access_token', 'api_key', 'apikey'];

const SECRET_PARAM_RE = new RegExp(`(^|[?&;\\s])((?:${SECRET_PARAMS.join('|')})=)([^&#;\\s]*)`, 'gi');

/** `scheme://` at the start of a URL; the scheme letters as RFC 3986 allows them. */
const SCHEME_RE = /[A-Za-z][A-Za-z0-9+.-]*:\/\//g;

/**
 * Replace the password of every URL in `text` with `***`, and the value of password-like query or
 * keyword parameters. The user name, host, path and everything else are kept as written.
 *
 *   redactUrl('rtsp://admin:12345@10.0.0.5:554/Streaming/101') === 'rtsp://admin:***@10.0.0.5:554/Streaming/101'
 *   redactUrl('postgres://argus:s3cret@db/argus')                 === 'postgres://argus:***@db/argus'
 *   redactUrl('http://cam/onvif?user=admin&password=x')          === 'http://cam/onvif?user=admin&password=***'
 */
export function redactUrl(text: string): string {
  if (typeof text !== 'string' || text.length === 0) return text;
  return redactSecretParams(redactUserinfo(text));
}

function redactSecretParams(text: string): string {
  return text.replace(SECRET_PARAM_RE, (_m, lead: string, key: string, value: string) =>
    value.length > 0 ? `${lead}${key}${REDACTED}` : `${lead}${key}`,
  );
}

/** Find every `scheme://` and redact the password of the authority that follows it. */
function redactUserinfo(text: string): string {
  const starts: number[] = [];
  for (const m of text.matchAll(SCHEME_RE)) starts.push(m.index + m[0].length);
  if (starts.length === 0) return text;
  let out = '';
  let cursor = 0;
  for (let i = 0; i < starts.length; i++) {
    const begin = starts[i]!;
    if (begin < cursor) continue; // inside a part already rewritten
    // The URL runs to the next whitespace (or the next scheme, whichever comes first).
    const ws = text.slice(begin).search(/\s/);
    let end = ws === -1 ? text.length : begin + ws;
    const nextScheme = starts[i + 1];
    if (nextScheme !== undefined && nextScheme < end) {
      const schemeLen = /[A-Za-z][A-Za-z0-9+.-]*:\/\/$/.exec(text.slice(0, nextScheme))?.[0].length ?? 0;
      end = Math.min(end, nextScheme - schemeLen);
    }
    const rest = text.slice(begin, end);
    const redacted = redactAuthority(rest);
    out += text.slice(cursor, begin) + redacted;
    cursor = end;
  }
  return out + text.slice(cursor);
}

/** `rest` is what follows `scheme://` of one URL. */
function redactAuthority(rest: string): string {
  // Well-formed: the authority ends at the first / ? or #; the userinfo ends at its last @.
  const authEnd = rest.search(/[/?#]/);
  const authority = authEnd === -1 ? rest : rest.slice(0, authEnd);
  const at = authority.lastIndexOf('@');
  if (at !== -1) return maskPassword(authority.slice(0, at)) + rest.slice(at);
  // Malformed: a password holding / ? or # unescaped (rtsp://admin:pa/ss@host/...). A user name
  // never holds those, so `user:` followed later by `@host` is taken as userinfo; everything up to
  // the last such @ is hidden.
  const colon = rest.indexOf(':');
  const lastAt = rest.lastIndexOf('@');
  if (colon > 0 && lastAt > colon && !/[/?#]/.test(rest.slice(0, colon)) && looksLikeHost(rest.slice(lastAt + 1))) {
    return `${rest.slice(0, colon + 1)}${REDACTED}${rest.slice(lastAt)}`;
  }
  return rest;
}

function maskPassword(userinfo: string): string {
  const colon = userinfo.indexOf(':');
  if (colon === -1 || colon === userinfo.length - 1) return userinfo; // no password, or an empty one
  return `${userinfo.slice(0, colon + 1)}${REDACTED}`;
}

function looksLikeHost(s: string): boolean {
  return /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~%-]+)(:\d*)?([/?#]|$)/.test(s);
}
