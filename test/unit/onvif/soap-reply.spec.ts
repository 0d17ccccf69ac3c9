import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../contracts/errors.ts';
import { OnvifError } from '../../../ingest/onvif/onvif.errors.ts';
import { buildEnvelope, interpretReply, type HttpReply, type SoapCall } from '../../../ingest/onvif/soap.transport.ts';
import { child, parseXml } from '../../../ingest/onvif/onvif-xml.ts';

const call = (authenticated = true): SoapCall => ({
  url: 'http://10.0.0.5/onvif/device_service',
  action: 'http://www.onvif.org/ver10/device/wsdl/GetDeviceInformation',
  envelope: '',
  timeoutMs: 1000,
  maxReplyBytes: 1024,
  display: 'http://10.0.0.5/onvif/device_service',
  authenticated,
});

const soap12Fault = (codes: string[], reason: string): string => {
  let sub = '';
  for (const c of codes.slice(1).reverse()) sub = `<env:Subcode><env:Value>${c}</env:Value>${sub}</env:Subcode>`;
  return (
    '<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:ter="http://www.onvif.org/ver10/error"><env:Body><env:Fault>' +
    `<env:Code><env:Value>${codes[0]}</env:Value>${sub}</env:Code><env:Reason><env:Text xml:lang="en">${reason}</env:Text></env:Reason>` +
    '</env:Fault></env:Body></env:Envelope>'
  );
};

function errorOf(reply: HttpReply, authenticated = true): OnvifError {
  try {
    interpretReply(reply, call(authenticated));
  } catch (err) {
    expect(err).toBeInstanceOf(OnvifError);
    return err as OnvifError;
  }
  throw new Error('expected an OnvifError');
}

describe('SOAP replies', () => {
  it('returns the Body of a successful reply', () => {
    const body = interpretReply(
      { status: 200, contentType: 'application/soap+xml', text: buildEnvelope('<tds:GetDeviceInformationResponse><tds:Model>M</tds:Model></tds:GetDeviceInformationResponse>') },
      call(),
    );
    expect(body.local).toBe('Body');
    expect(child(child(body, 'GetDeviceInformationResponse'), 'Model')?.text).toBe('M');
  });

  it('turns ter:NotAuthorized into kind unauthorized (VALIDATION), whatever the HTTP status', () => {
    for (const status of [400, 500, 200]) {
      const e = errorOf({ status, contentType: 'application/soap+xml', text: soap12Fault(['env:Sender', 'ter:NotAuthorized'], 'Sender not Authorized') });
      expect(e.kind).toBe('unauthorized');
      expect(e.code).toBe(ERROR_CODES.VALIDATION);
      expect(e.message).toMatch(/wrong user name or password/);
      expect(e.faultCodes).toEqual(['env:Sender', 'ter:NotAuthorized']);
    }
    const noCreds = errorOf({ status: 400, contentType: '', text: soap12Fault(['env:Sender', 'ter:NotAuthorized'], 'x') }, false);
    expect(noCreds.message).toMatch(/requires a user name and password/);
  });

  it('turns HTTP 401 into kind unauthorized without reading the body', () => {
    const e = errorOf({ status: 401, contentType: 'text/html', text: '<html>401</html>' });
    expect(e.kind).toBe('unauthorized');
    expect(e.httpStatus).toBe(401);
  });

  it('reports other SOAP 1.2 faults with code, subcodes and reason', () => {
    const e = errorOf({ status: 400, contentType: '', text: soap12Fault(['env:Sender', 'ter:InvalidArgVal', 'ter:NoProfile'], 'No such profile') });
    expect(e.kind).toBe('fault');
    expect(e.code).toBe(ERROR_CODES.VALIDATION);
    expect(e.faultCodes).toEqual(['env:Sender', 'ter:InvalidArgVal', 'ter:NoProfile']);
    expect(e.message).toContain('env:Sender / ter:InvalidArgVal / ter:NoProfile');
    expect(e.message).toContain('No such profile');
  });

  it('reads SOAP 1.1 faults too', () => {
    const text =
      '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault>' +
      '<faultcode>soap:Client</faultcode><faultstring>Action not supported</faultstring></soap:Fault></soap:Body></soap:Envelope>';
    const e = errorOf({ status: 500, contentType: 'text/xml', text });
    expect(e.kind).toBe('fault');
    expect(e.faultCodes).toEqual(['soap:Client']);
    expect(e.message).toContain('Action not supported');
  });

  it('says an HTML 404 page is not an ONVIF service, even with a DOCTYPE', () => {
    const e = errorOf({ status: 404, contentType: 'text/html', text: '<!DOCTYPE html><html><body>Not Found</body></html>' });
    expect(e.kind).toBe('malformed');
    expect(e.message).toMatch(/HTTP 404.*not SOAP/);
    expect(e.httpStatus).toBe(404);
  });

  it('refuses a 200 that is not a SOAP envelope, or has no Body', () => {
    expect(errorOf({ status: 200, contentType: '', text: '<html><body>hi</body></html>' }).message).toMatch(/not a SOAP envelope/);
    expect(errorOf({ status: 200, contentType: '', text: 'garbage' }).kind).toBe('malformed');
    expect(errorOf({ status: 200, contentType: '', text: '<s:Envelope xmlns:s="x"><s:Header/></s:Envelope>' }).message).toMatch(/no SOAP Body/);
  });

  it('keeps device text in messages short and on one line', () => {
    const e = errorOf({ status: 500, contentType: '', text: soap12Fault(['env:Receiver'], `line1\n\nline2 ${'x'.repeat(1000)}`) });
    expect(e.message).not.toContain('\n');
    expect(e.message.length).toBeLessThan(500);
  });

  it('sends well-formed envelopes declaring the prefixes bodies use', () => {
    const root = parseXml(buildEnvelope('<trt:GetProfiles/>', '<x:H xmlns:x="y"/>'));
    expect(root.local).toBe('Envelope');
    expect(child(child(root, 'Body'), 'GetProfiles')).not.toBeNull();
    expect(root.attrs['xmlns:trt']).toBe('http://www.onvif.org/ver10/media/wsdl');
    expect(root.attrs['xmlns:s']).toBe('http://www.w3.org/2003/05/soap-envelope');
  });
});
