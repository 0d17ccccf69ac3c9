import { ArgusError, ERROR_CODES, type ErrorCode } from '../../contracts/errors.ts';

/**
 * What went wrong talking to an ONVIF device (or parsing a WS-Discovery reply).
 *
 * - `unreachable`  no answer: connection refused, host not found, network error, or no reply within the timeout.
 * - `unauthorized` the device refused the user name or password (HTTP 401 or SOAP fault ter:NotAuthorized).
 * - `fault`        any other SOAP fault; `faultCodes` holds the code and subcodes as written (e.g. env:Sender, ter:NoProfile).
 * - `malformed`    not XML, not a SOAP envelope, a DOCTYPE (refused), or an expected element is missing.
 * - `too-large`    the reply passed `maxReplyBytes`; reading stopped there.
 * - `unsupported`  the device lacks what was asked for (no PTZ service, no video profile).
 */
export type OnvifErrorKind = 'unreachable' | 'unauthorized' | 'fault' | 'malformed' | 'too-large' | 'unsupported';

/**
 * Error codes per kind. A camera refusing its credentials is not the Argus user's authentication failing,
 * so `unauthorized` is a VALIDATION error (the API answers 400 with the message) rather than UNAUTHENTICATED.
 */
export const ONVIF_ERROR_CODES: Readonly<Record<OnvifErrorKind, ErrorCode>> = {
  unreachable: ERROR_CODES.UNAVAILABLE,
  unauthorized: ERROR_CODES.VALIDATION,
  fault: ERROR_CODES.VALIDATION,
  malformed: ERROR_CODES.VALIDATION,
  'too-large': ERROR_CODES.VALIDATION,
  unsupported: ERROR_CODES.VALIDATION,
};

export interface OnvifErrorDetails {
  /** SOAP fault code and subcodes, outermost first (kind `fault` or `unauthorized`). */
  faultCodes?: string[];
  /** HTTP status of the reply, when there was one. */
  httpStatus?: number;
}

/** The one error type of the ONVIF adapter. Messages never hold passwords: addresses pass through redactUrl. */
export class OnvifError extends ArgusError {
  readonly faultCodes: string[];
  readonly httpStatus: number | null;

  constructor(
    readonly kind: OnvifErrorKind,
    message: string,
    details: OnvifErrorDetails = {},
  ) {
    super(ONVIF_ERROR_CODES[kind], message);
    this.name = 'OnvifError';
    this.faultCodes = details.faultCodes ?? [];
    this.httpStatus = details.httpStatus ?? null;
  }
}
