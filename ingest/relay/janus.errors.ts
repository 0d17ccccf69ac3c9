import { ArgusError, ERROR_CODES, type ErrorCode } from '../../contracts/errors.ts';

/**
 * Errors of the Janus relay. Janus reports two kinds of error with overlapping numbers: those of
 * its core (`{ janus: 'error', error: { code, reason } }`) and those of a plugin
 * (`plugindata.data.error_code`). Both become a JanusError, an ArgusError whose code says how the API
 * answers (404, 409, 400, 503).
 */

/** Janus core error codes (janus/apierror.h) that Argus tells apart. */
export const JANUS_CORE_ERRORS = {
  UNAUTHORIZED: 403,
  UNAUTHORIZED_PLUGIN: 405,
  SESSION_NOT_FOUND: 458,
  HANDLE_NOT_FOUND: 459,
  PLUGIN_NOT_FOUND: 460,
  JSEP_UNKNOWN_TYPE: 464,
  JSEP_INVALID_SDP: 465,
  UNEXPECTED_ANSWER: 469,
  WEBRTC_STATE: 471,
  NOT_ACCEPTING_SESSIONS: 472,
} as const;

/** Error codes of the streaming plugin (plugins/janus_streaming.c). */
export const STREAMING_ERRORS = {
  INVALID_REQUEST: 452,
  MISSING_ELEMENT: 453,
  INVALID_ELEMENT: 454,
  NO_SUCH_MOUNTPOINT: 455,
  CANT_CREATE: 456,
  UNAUTHORIZED: 457,
  INVALID_STATE: 460,
} as const;

export type JanusErrorSource = 'core' | 'streaming' | 'transport' | 'process';

export class JanusError extends ArgusError {
  constructor(
    code: ErrorCode,
    message: string,
    /** Where it came from: the Janus core, the streaming plugin, the HTTP connection, the process. */
    readonly source: JanusErrorSource,
    /** Janus's own error number, null when Janus did not answer. */
    readonly janusCode: number | null = null,
  ) {
    super(code, message);
    this.name = 'JanusError';
  }

  /** The Janus session or handle no longer exists (Janus restarted, or the session timed out). */
  get sessionGone(): boolean {
    return this.source === 'core' && (this.janusCode === JANUS_CORE_ERRORS.SESSION_NOT_FOUND || this.janusCode === JANUS_CORE_ERRORS.HANDLE_NOT_FOUND);
  }
}

/** An error reply of the Janus core, for the request described by `what` (e.g. "create a session"). */
export function janusCoreError(janusCode: number, reason: string, what: string): JanusError {
  const text = `The live video relay (Janus) refused to ${what}: ${reason} (Janus error ${janusCode}).`;
  switch (janusCode) {
    case JANUS_CORE_ERRORS.SESSION_NOT_FOUND:
    case JANUS_CORE_ERRORS.HANDLE_NOT_FOUND:
      return new JanusError(ERROR_CODES.NOT_FOUND, `${text} The relay session has ended; open the video again.`, 'core', janusCode);
    case JANUS_CORE_ERRORS.JSEP_UNKNOWN_TYPE:
    case JANUS_CORE_ERRORS.JSEP_INVALID_SDP:
    case JANUS_CORE_ERRORS.UNEXPECTED_ANSWER:
      return new JanusError(ERROR_CODES.VALIDATION, text, 'core', janusCode);
    case JANUS_CORE_ERRORS.WEBRTC_STATE:
      return new JanusError(ERROR_CODES.CONFLICT, text, 'core', janusCode);
    case JANUS_CORE_ERRORS.UNAUTHORIZED:
    case JANUS_CORE_ERRORS.UNAUTHORIZED_PLUGIN:
      return new JanusError(ERROR_CODES.INTERNAL, `${text} Argus and Janus disagree about the API secret; restart Argus.`, 'core', janusCode);
    case JANUS_CORE_ERRORS.PLUGIN_NOT_FOUND:
      return new JanusError(ERROR_CODES.UNAVAILABLE, `${text} The streaming plugin is not loaded; check the janus package.`, 'core', janusCode);
    default:
      return new JanusError(ERROR_CODES.UNAVAILABLE, text, 'core', janusCode);
  }
}

/** An error reply of the streaming plugin. */
export function streamingError(janusCode: number, reason: string, what: string): JanusError {
  const text = `The live video relay could not ${what}: ${reason} (streaming error ${janusCode}).`;
  switch (janusCode) {
    case STREAMING_ERRORS.NO_SUCH_MOUNTPOINT:
      return new JanusError(ERROR_CODES.NOT_FOUND, text, 'streaming', janusCode);
    case STREAMING_ERRORS.CANT_CREATE:
      return new JanusError(ERROR_CODES.CONFLICT, text, 'streaming', janusCode);
    case STREAMING_ERRORS.INVALID_STATE:
      return new JanusError(ERROR_CODES.CONFLICT, text, 'streaming', janusCode);
    case STREAMING_ERRORS.INVALID_REQUEST:
    case STREAMING_ERRORS.MISSING_ELEMENT:
    case STREAMING_ERRORS.INVALID_ELEMENT:
      return new JanusError(ERROR_CODES.INTERNAL, text, 'streaming', janusCode);
    default:
      return new JanusError(ERROR_CODES.UNAVAILABLE, text, 'streaming', janusCode);
  }
}

/** Janus did not answer over HTTP (not running, restarting, or hung). */
export function janusUnreachable(what: string, cause: string): JanusError {
  return new JanusError(
    ERROR_CODES.UNAVAILABLE,
    `The live video relay (Janus) is not answering, so Argus could not ${what} (${cause}). It is restarted automatically; try again in a few seconds.`,
    'transport',
  );
}

/** Janus answered with something that is not the Janus API. */
export function janusProtocolError(what: string, detail: string): JanusError {
  return new JanusError(ERROR_CODES.UNAVAILABLE, `The live video relay gave an unexpected answer while Argus tried to ${what}: ${detail}.`, 'transport');
}
