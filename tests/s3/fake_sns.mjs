// A fake Amazon SNS for coinlake's SNS alert channel: Publish only, every request's SigV4
// signature verified with @smithy/signature-v4 (AWS's own signer, not coinlake's), answers as
// SNS writes them (PublishResponse with a MessageId; errors as an ErrorResponse).
//
//   node fake_sns.mjs PORTFILE
//
// Listens on a free port of 127.0.0.1 and writes it to PORTFILE once listening.
// Credentials: COINLAKETESTKEYID / coinlake-test-secret-0123456789 (service "sns"), and temporary
// ones, COINLAKETESTTEMPKEY / coinlake-test-temp-secret-0123 with the session token
// coinlake-test-session-token, which must come as a signed x-amz-security-token header (as an
// instance role's credentials do).
// Control (unsigned, for tests):
//   POST /__fault {"queue":["Throttling"|"AuthorizationError"|"500", ...]}: the next Publishes'
//        answers, in order;
//   GET  /__published: the Publishes accepted, as JSON [{params, headers}], and the signature
//        failures counted.
import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';

const portFile = process.argv[2];
const KEYS = new Map([['COINLAKETESTKEYID', 'coinlake-test-secret-0123456789'],
  ['COINLAKETESTTEMPKEY', 'coinlake-test-temp-secret-0123']]);
const TOKENS = new Map([['COINLAKETESTTEMPKEY', 'coinlake-test-session-token']]);
const published = [];
const fifoSeen = new Map(); // MessageDeduplicationId -> MessageId (FIFO topics drop repeats)
let faults = [];
let signatureFailures = 0;

const xmlEscape = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const requestId = () => crypto.randomUUID();

function errorResponse(res, status, type, code, message) {
  res.writeHead(status, { 'content-type': 'text/xml' });
  res.end(`<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">\n  <Error>\n` +
    `    <Type>${type}</Type>\n    <Code>${code}</Code>\n    <Message>${xmlEscape(message)}</Message>\n` +
    `  </Error>\n  <RequestId>${requestId()}</RequestId>\n</ErrorResponse>\n`);
}

async function verifySignature(req, body) {
  const auth = req.headers.authorization || '';
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return 'missing or malformed SigV4 Authorization header';
  const [, keyId, , region, service, signedList, signature] = m;
  const secret = KEYS.get(keyId);
  if (!secret) return `unknown access key ${keyId}`;
  if (service !== 'sns') return `signed for service ${service}, not sns`;
  const token = TOKENS.get(keyId);
  if (token && req.headers['x-amz-security-token'] !== token) return 'The security token included in the request is invalid.';
  if (token && !signedList.split(';').includes('x-amz-security-token')) return 'the session token is not signed';
  const dm = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(req.headers['x-amz-date'] || '');
  if (!dm) return 'missing x-amz-date';
  const signingDate = new Date(Date.UTC(+dm[1], dm[2] - 1, +dm[3], +dm[4], +dm[5], +dm[6]));
  if (Math.abs(Date.now() - signingDate.getTime()) > 15 * 60 * 1000) return 'request time too skewed';
  const signed = signedList.split(';');
  const headers = {};
  for (const name of signed) {
    if (req.headers[name] === undefined) return `signed header ${name} not sent`;
    headers[name] = String(req.headers[name]).trim().replace(/\s+/g, ' ');
  }
  const url = new URL(req.url, 'http://x');
  const signer = new SignatureV4({ credentials: { accessKeyId: keyId, secretAccessKey: secret },
    region, service, sha256: Hash.bind(null, 'sha256'), applyChecksum: false });
  const out = await signer.sign({ method: req.method, protocol: 'http:', hostname: req.headers.host,
    path: url.pathname, query: {}, headers, body },
  { signingDate, signableHeaders: new Set(signed), signingRegion: region, signingService: service });
  const expected = /Signature=([0-9a-f]{64})/.exec(out.headers.authorization)[1];
  if (process.env.FAKE_SNS_DEBUG) console.error(JSON.stringify({ headers: req.headers, body, signed }));
  if (expected !== signature) return 'The request signature we calculated does not match the signature you provided.';
  return null;
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const body = Buffer.concat(chunks).toString('utf8');
    if (req.url === '/__fault' && req.method === 'POST') {
      faults = JSON.parse(body).queue || [];
      res.writeHead(200); res.end('{}'); return;
    }
    if (req.url === '/__published' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ published, signature_failures: signatureFailures })); return;
    }
    const bad = await verifySignature(req, body);
    if (bad) {
      signatureFailures += 1;
      errorResponse(res, 403, 'Sender', 'SignatureDoesNotMatch', bad); return;
    }
    const params = Object.fromEntries(new URLSearchParams(body));
    if (params.Action !== 'Publish' || params.Version !== '2010-03-31') {
      errorResponse(res, 400, 'Sender', 'InvalidAction', `not a Publish: ${params.Action}`); return;
    }
    const fault = faults.shift();
    if (fault === 'Throttling') { errorResponse(res, 400, 'Sender', 'Throttling', 'Rate exceeded'); return; }
    if (fault === 'AuthorizationError') {
      errorResponse(res, 403, 'Sender', 'AuthorizationError', 'User is not authorized to perform: SNS:Publish'); return;
    }
    if (fault === '500') { errorResponse(res, 500, 'Receiver', 'InternalError', 'internal'); return; }
    if (!params.TopicArn || !params.Message) {
      errorResponse(res, 400, 'Sender', 'InvalidParameter', 'TopicArn and Message are required'); return;
    }
    const fifo = params.TopicArn.endsWith('.fifo');
    if (fifo && (!params.MessageGroupId || !params.MessageDeduplicationId)) {
      errorResponse(res, 400, 'Sender', 'InvalidParameter',
        'Invalid parameter: The MessageGroupId parameter is required for FIFO topics'); return;
    }
    if (!fifo && (params.MessageGroupId || params.MessageDeduplicationId)) {
      errorResponse(res, 400, 'Sender', 'InvalidParameter',
        'Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type'); return;
    }
    if (params.Subject !== undefined && (params.Subject.length >= 100 || /[^\x20-\x7e]/.test(params.Subject))) {
      errorResponse(res, 400, 'Sender', 'InvalidParameter', 'Invalid parameter: Subject'); return;
    }
    let messageId = crypto.randomUUID();
    if (fifo && fifoSeen.has(params.MessageDeduplicationId)) {
      messageId = fifoSeen.get(params.MessageDeduplicationId); // a repeat: accepted, not delivered again
    } else {
      if (fifo) fifoSeen.set(params.MessageDeduplicationId, messageId);
      published.push({ params, headers: req.headers });
    }
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end(`<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">\n  <PublishResult>\n` +
      `    <MessageId>${messageId}</MessageId>\n  </PublishResult>\n  <ResponseMetadata>\n` +
      `    <RequestId>${requestId()}</RequestId>\n  </ResponseMetadata>\n</PublishResponse>\n`);
  });
});
server.listen(0, '127.0.0.1', () => {
  fs.writeFileSync(portFile + '.tmp', String(server.address().port));
  fs.renameSync(portFile + '.tmp', portFile);
});
