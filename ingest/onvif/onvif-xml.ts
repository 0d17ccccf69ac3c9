import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { OnvifError } from './onvif.errors.ts';

/**
 * Safe, namespace-prefix agnostic XML for ONVIF and WS-Discovery.
 *
 * Devices write the same element with different prefixes (`tt:Uri`, `ns2:Uri`, `Uri` with a default
 * namespace), so lookups go by local name. Safety: a DOCTYPE or ENTITY declaration is refused before
 * parsing (no entity expansion, no XML bombs), nesting is capped, the input size is capped, and only the
 * five predefined entities and numeric character references are decoded.
 */

export interface XmlElement {
  /** The name as written, with its prefix (`tt:Uri`). */
  name: string;
  /** The name without prefix (`Uri`). */
  local: string;
  /** Attributes by name as written (`xsi:type`); values decoded. */
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (text and CDATA directly inside it), decoded and trimmed. */
  text: string;
}

export interface ParseXmlOptions {
  /** Refuse input longer than this many characters. Default 8 Mi. */
  maxChars?: number;
  /** Refuse deeper nesting. Default 64. */
  maxDepth?: number;
}

const DEFAULT_MAX_CHARS = 8 * 1024 * 1024;
const DEFAULT_MAX_DEPTH = 64;

/** A DOCTYPE or ENTITY declaration anywhere: refused (entity expansion is how XML bombs work). */
const DECLARATION_RE = /<!\s*(DOCTYPE|ENTITY)/i;

function parserFor(maxDepth: number): XMLParser {
  return new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    cdataPropName: '#cdata',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
    processEntities: false,
    ignoreDeclaration: true,
    ignorePiTags: true,
    maxNestedTags: maxDepth,
  });
}

const parsers = new Map<number, XMLParser>();

/** Parse `xml` into an element tree; throws OnvifError('malformed') for anything unsafe or not well-formed. */
export function parseXml(xml: string, what = 'The reply', options: ParseXmlOptions = {}): XmlElement {
  const maxChars = options.maxChars ?? DEFAULT_MAX_CHARS;
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  if (typeof xml !== 'string' || xml.trim().length === 0) throw new OnvifError('malformed', `${what} is empty, not XML.`);
  if (xml.length > maxChars) throw new OnvifError('malformed', `${what} is longer than ${maxChars} characters; refused.`);
  if (DECLARATION_RE.test(xml)) {
    throw new OnvifError('malformed', `${what} contains a DOCTYPE or ENTITY declaration; refused (XML entity expansion is not allowed).`);
  }
  const text = xml.replace(/^\uFEFF/, '');
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    throw new OnvifError('malformed', `${what} is not well-formed XML (${valid.err.msg.slice(0, 200)} at line ${valid.err.line}).`);
  }
  let parser = parsers.get(maxDepth);
  if (!parser) {
    parser = parserFor(maxDepth);
    parsers.set(maxDepth, parser);
  }
  let nodes: unknown;
  try {
    nodes = parser.parse(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message.slice(0, 200) : 'parse error';
    throw new OnvifError('malformed', `${what} could not be parsed as XML (${reason}).`);
  }
  const roots = Array.isArray(nodes) ? convertChildren(nodes, 1, maxDepth).children : [];
  if (roots.length !== 1) throw new OnvifError('malformed', `${what} is not an XML document with one root element.`);
  return roots[0]!;
}

type RawNode = Record<string, unknown>;

function convertChildren(nodes: unknown[], depth: number, maxDepth: number): { children: XmlElement[]; text: string } {
  if (depth > maxDepth) throw new OnvifError('malformed', `XML nesting deeper than ${maxDepth} levels; refused.`);
  const children: XmlElement[] = [];
  let text = '';
  for (const node of nodes) {
    if (!node || typeof node !== 'object') continue;
    const raw = node as RawNode;
    if ('#text' in raw) {
      text += decodeEntities(String(raw['#text']));
      continue;
    }
    if ('#cdata' in raw) {
      const inner = raw['#cdata'];
      if (Array.isArray(inner)) for (const c of inner) if (c && typeof c === 'object' && '#text' in c) text += String((c as RawNode)['#text']);
      continue;
    }
    const name = Object.keys(raw).find((k) => k !== ':@');
    if (name === undefined) continue;
    const value = raw[name];
    const attrsRaw = raw[':@'];
    const attrs: Record<string, string> = {};
    if (attrsRaw && typeof attrsRaw === 'object') {
      for (const [k, v] of Object.entries(attrsRaw as Record<string, unknown>)) attrs[k] = decodeEntities(String(v));
    }
    const inner = Array.isArray(value) ? convertChildren(value, depth + 1, maxDepth) : { children: [], text: '' };
    children.push({ name, local: localName(name), attrs, children: inner.children, text: inner.text.trim() });
  }
  return { children, text };
}

/** `tt:Uri` → `Uri`. */
export function localName(name: string): string {
  const colon = name.lastIndexOf(':');
  return colon === -1 ? name : name.slice(colon + 1);
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decode the five predefined entities and numeric character references; anything else is left as written. */
export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[A-Za-z]+);/g, (whole, ref: string) => {
    if (ref.startsWith('#')) {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return PREDEFINED[ref] ?? whole;
  });
}

/** Escape text for an XML element or attribute value. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot', "'": 'apos' }[c]};`);
}

// ---------- prefix-agnostic lookups ----------

/** The first direct child with this local name. */
export function child(el: XmlElement | null | undefined, local: string): XmlElement | null {
  return el?.children.find((c) => c.local === local) ?? null;
}

/** Every direct child with this local name. */
export function children(el: XmlElement | null | undefined, local: string): XmlElement[] {
  return el ? el.children.filter((c) => c.local === local) : [];
}

/** Follow a path of local names through direct children: `path(profile, 'VideoEncoderConfiguration', 'Resolution', 'Width')`. */
export function path(el: XmlElement | null | undefined, ...locals: string[]): XmlElement | null {
  let cur: XmlElement | null = el ?? null;
  for (const l of locals) cur = child(cur, l);
  return cur;
}

/** The text at a path, or null when an element on the path is missing. */
export function textAt(el: XmlElement | null | undefined, ...locals: string[]): string | null {
  const found = path(el, ...locals);
  return found ? found.text : null;
}

/** The first descendant (depth first, the element itself excluded) with this local name. */
export function find(el: XmlElement | null | undefined, local: string): XmlElement | null {
  if (!el) return null;
  for (const c of el.children) {
    if (c.local === local) return c;
    const deeper = find(c, local);
    if (deeper) return deeper;
  }
  return null;
}

/** Every descendant with this local name, in document order (not looking inside a match). */
export function findAll(el: XmlElement | null | undefined, local: string, out: XmlElement[] = []): XmlElement[] {
  if (!el) return out;
  for (const c of el.children) {
    if (c.local === local) out.push(c);
    else findAll(c, local, out);
  }
  return out;
}

/** An attribute by local name (`token`, `xsi:type` → `type`). */
export function attr(el: XmlElement | null | undefined, local: string): string | null {
  if (!el) return null;
  for (const [k, v] of Object.entries(el.attrs)) if (localName(k) === local) return v;
  return null;
}
