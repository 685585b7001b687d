// A strict fake S3 (and fake EC2 IMDSv2 / container credentials endpoint) for coinlake's tests.
//
//   node fake_s3.mjs PORT [--dir DIR]
//
// With --dir, objects also live on disk as DIR/<bucket>/<key> and are read back at start, so the
// server can be killed (kill -9) and restarted like a lake outage, objects intact. A PUT is
// answered only once its file is complete (written aside, then renamed), as S3 acknowledges
// only durable writes.
//
// S3 (path-style, buckets exist on first use): PutObject, GetObject (and its Range), HeadObject,
// ListObjectsV2, DeleteObject, and multipart uploads (Create, UploadPart, Complete with
// If-None-Match, Abort) with S3's rules: parts of at least 5 MiB but the last, in ascending
// order, each named by the ETag its upload answered and, when the upload asked for SHA-256,
// carrying that part's checksum.
// Every request's SigV4 signature is verified with @smithy/signature-v4 (AWS's own signer) after
// recomputing the canonical path and query the way S3 does; x-amz-content-sha256 and
// x-amz-checksum-sha256 are checked against the body; If-None-Match: * gives 412; x-amz-date
// more than 15 minutes off gives RequestTimeTooSkewed; listings paginate with opaque tokens
// that contain '/', '+' and '='.
//
// Control (unsigned, for tests):
//   POST /__fault {"queue":[{"kind":"503"|"500"|"reset"|"badxml"|"expired"|"409"|"error200"|"head404"}, ...]}
//        faults applied to the next S3 requests in order ("badxml" waits for a listing,
//        "error200", S3's InternalError inside a 200, for a multipart completion; "head404" for
//        a HEAD, as if the key were not there yet);
//   POST /__fault {"down":true|false}: while down every S3 request's connection is reset;
//   either may add "bucket":"name" to affect only that bucket, so tests running in parallel
//   each inject faults into their own bucket;
//   POST /__imds {"expires_in_s":N,"fail":true|false}: credentials lifetime, IMDS 500s;
//   GET  /__stats: request counts, successful PUTs per key, IMDS/container counters.
// Credentials: COINLAKETESTKEYID / coinlake-test-secret-0123456789, plus the temporary
// credentials this server hands out over IMDS (/latest/...) and the container endpoint
// (/__container/creds, Authorization: container-token-1234).
import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';

const port = Number(process.argv[2] || 0);
const dirFlag = process.argv.indexOf('--dir');
const dataDir = dirFlag > 0 ? process.argv[dirFlag + 1] : null;
const STATIC_KEYS = new Map([['COINLAKETESTKEYID', { secret: 'coinlake-test-secret-0123456789', token: '' }]]);
const buckets = new Map(); // bucket -> Map(key -> {body, sha256hex, checksum})
const stats = { requests: 0, requests_by_bucket: {}, signature_failures: 0, puts: {}, deletes: {}, imds_token_puts: 0, imds_credential_fetches: 0,
  imds_v1_attempts: 0, container_fetches: 0, faults_applied: 0, parts: {}, uploads_open: {}, uploads_aborted: {} };
const uploads = new Map(); // upload id -> {bucket, key, sha256 (the upload asked for checksums), parts: Map(n -> {body, etag, checksum})}
const MIN_PART = 5 * 1024 * 1024;
let faults = [];
let down = false;
const downBuckets = new Set();
const imds = { expires_in_s: 6 * 3600, fail: false, tokens: new Set(), issued: 0 };
const temporary = new Map(); // access key -> {secret, token}

const sha256 = (b) => crypto.createHash('sha256').update(b).digest();
const objectOf = (body) => { const d = sha256(body); return { body, sha256hex: d.toString('hex'), checksum: d.toString('base64') }; };

// --dir: the files under DIR/<bucket>/ are that bucket's objects (DIR/.partial holds writes in
// progress and is never read back).
function loadDataDir() {
  fs.mkdirSync(path.join(dataDir, '.partial'), { recursive: true });
  for (const bucket of fs.readdirSync(dataDir)) {
    if (bucket === '.partial') continue;
    const objects = new Map();
    const root = path.join(dataDir, bucket);
    for (const rel of fs.readdirSync(root, { recursive: true })) {
      const file = path.join(root, rel);
      if (fs.statSync(file).isFile()) objects.set(rel.split(path.sep).join('/'), objectOf(fs.readFileSync(file)));
    }
    buckets.set(bucket, objects);
  }
}
function persist(bucket, key, body) {
  const file = path.join(dataDir, bucket, ...key.split('/'));
  const partial = path.join(dataDir, '.partial', crypto.randomUUID());
  fs.writeFileSync(partial, body);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.renameSync(partial, file);
}
const xmlEscape = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
// AWS UriEncode: only A-Za-z0-9-_.~ (and '/' in paths) stay.
const awsEncode = (s, keepSlash) => Array.from(Buffer.from(s, 'utf8')).map((c) => {
  const ch = String.fromCharCode(c);
  return /[A-Za-z0-9\-_.~]/.test(ch) || (keepSlash && ch === '/') ? ch : '%' + c.toString(16).toUpperCase().padStart(2, '0');
}).join('');

function send(res, status, body = '', headers = {}) {
  res.writeHead(status, { 'x-amz-request-id': crypto.randomBytes(8).toString('hex'), ...headers,
    'content-length': Buffer.byteLength(body) });
  res.end(body);
}
function error(res, status, code, message) {
  send(res, status, `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message><RequestId>fake</RequestId></Error>`,
    { 'content-type': 'application/xml' });
}

// Recomputes the signature with AWS's signer over exactly the headers the client signed.
async function verifySignature(req, rawPath, rawQuery) {
  const auth = req.headers.authorization || '';
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return ['AccessDenied', 'missing or malformed SigV4 Authorization header'];
  const [, keyId, , region, service, signedList, signature] = m;
  const creds = STATIC_KEYS.get(keyId) || temporary.get(keyId);
  if (!creds) return ['InvalidAccessKeyId', `unknown access key ${keyId}`];
  if (creds.token && req.headers['x-amz-security-token'] !== creds.token) return ['InvalidToken', 'session token mismatch'];
  const amzDate = req.headers['x-amz-date'] || '';
  const dm = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(amzDate);
  if (!dm) return ['AccessDenied', 'missing x-amz-date'];
  const signingDate = new Date(Date.UTC(+dm[1], dm[2] - 1, +dm[3], +dm[4], +dm[5], +dm[6]));
  if (Math.abs(Date.now() - signingDate.getTime()) > 15 * 60 * 1000) return ['RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.'];
  const signed = signedList.split(';');
  const headers = {};
  for (const name of signed) {
    if (req.headers[name] === undefined) return ['SignatureDoesNotMatch', `signed header ${name} not sent`];
    headers[name] = String(req.headers[name]).trim().replace(/\s+/g, ' ');
  }
  const query = {};
  if (rawQuery) {
    for (const part of rawQuery.split('&')) {
      const eq = part.indexOf('=');
      const k = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
      query[k] = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1).replace(/\+/g, '%20'));
    }
  }
  const signer = new SignatureV4({ credentials: { accessKeyId: keyId, secretAccessKey: creds.secret,
    sessionToken: headers['x-amz-security-token'] }, region, service, sha256: Hash.bind(null, 'sha256'), uriEscapePath: false });
  const path = awsEncode(decodeURIComponent(rawPath), true); // what S3 signs: decode once, encode once
  const out = await signer.sign({ method: req.method, protocol: 'http:', hostname: req.headers.host, path, query, headers },
    { signingDate, signableHeaders: new Set(signed), signingRegion: region, signingService: service });
  const expected = /Signature=([0-9a-f]{64})/.exec(out.headers.authorization)[1];
  const expectedSigned = /SignedHeaders=([^,]+)/.exec(out.headers.authorization)[1];
  if (expected !== signature || expectedSigned !== signedList) return ['SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.'];
  return null;
}

function issueTemporary() {
  imds.issued += 1;
  const id = `ASIAFAKE${String(imds.issued).padStart(8, '0')}`;
  const c = { secret: crypto.randomBytes(20).toString('hex'), token: 'tok-' + crypto.randomBytes(24).toString('base64') };
  temporary.set(id, c);
  return JSON.stringify({ Code: 'Success', Type: 'AWS-HMAC', AccessKeyId: id, SecretAccessKey: c.secret, Token: c.token,
    Expiration: new Date(Date.now() + imds.expires_in_s * 1000).toISOString().replace(/\.\d+Z$/, 'Z') });
}

function handleImds(req, res, path) {
  if (req.method === 'PUT' && path === '/latest/api/token') {
    if (req.headers['x-forwarded-for']) return send(res, 403, 'Forbidden');
    if (!req.headers['x-aws-ec2-metadata-token-ttl-seconds']) return send(res, 400, 'Missing TTL');
    stats.imds_token_puts += 1;
    if (imds.fail) return send(res, 500, 'Internal error');
    const token = crypto.randomBytes(16).toString('hex');
    imds.tokens.add(token);
    return send(res, 200, token);
  }
  if (!imds.tokens.has(req.headers['x-aws-ec2-metadata-token'])) { stats.imds_v1_attempts += 1; return send(res, 401, 'Unauthorized'); }
  if (imds.fail) return send(res, 500, 'Internal error');
  if (path === '/latest/meta-data/iam/security-credentials/') return send(res, 200, 'coinlake-role');
  if (path === '/latest/meta-data/iam/security-credentials/coinlake-role') { stats.imds_credential_fetches += 1; return send(res, 200, issueTemporary()); }
  return send(res, 404, 'Not Found');
}

function listObjects(res, bucket, query) {
  const prefix = query.get('prefix') || '';
  const max = Math.min(Math.max(Number(query.get('max-keys') || 1000), 1), 1000);
  const token = query.get('continuation-token');
  let after = query.get('start-after') || '';
  if (token !== null) {
    const tm = /^v1\/(.*)\+=$/.exec(token);
    if (!tm) return error(res, 400, 'InvalidArgument', 'The continuation token provided is incorrect');
    after = Buffer.from(tm[1], 'base64').toString('utf8');
  }
  const encode = query.get('encoding-type') === 'url';
  const keys = [...(buckets.get(bucket) || new Map()).keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
  const page = keys.slice(0, max);
  const truncated = keys.length > max;
  const objects = buckets.get(bucket) || new Map();
  const contents = page.map((k) => `<Contents><Key>${xmlEscape(encode ? awsEncode(k, true) : k)}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>&quot;${objects.get(k).sha256hex.slice(0, 32)}&quot;</ETag><Size>${objects.get(k).body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`).join('');
  // Opaque, and deliberately full of characters that must be percent-encoded when sent back.
  const next = truncated ? `<NextContinuationToken>${xmlEscape('v1/' + Buffer.from(page[page.length - 1]).toString('base64') + '+=')}</NextContinuationToken>` : '';
  send(res, 200, `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${bucket}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys>${encode ? '<EncodingType>url</EncodingType>' : ''}<IsTruncated>${truncated}</IsTruncated>${contents}${next}</ListBucketResult>`,
    { 'content-type': 'application/xml' });
}

async function handle(req, res, body) {
  const [rawPath, rawQuery = ''] = req.url.split(/\?(.*)/s);
  const url = new URL(req.url, 'http://fake');
  if (rawPath === '/__fault' && req.method === 'POST') {
    const cmd = JSON.parse(body.toString() || '{}');
    if (cmd.queue) faults.push(...cmd.queue.map((f) => ({ bucket: cmd.bucket, ...f })));
    if (typeof cmd.down === 'boolean') {
      if (cmd.bucket) { if (cmd.down) downBuckets.add(cmd.bucket); else downBuckets.delete(cmd.bucket); } else down = cmd.down;
    }
    if (cmd.clear) faults = [];
    return send(res, 200, '{}');
  }
  if (rawPath === '/__imds' && req.method === 'POST') {
    Object.assign(imds, JSON.parse(body.toString() || '{}'));
    return send(res, 200, '{}');
  }
  if (rawPath === '/__stats') return send(res, 200, JSON.stringify(stats), { 'content-type': 'application/json' });
  if (rawPath.startsWith('/latest/')) return handleImds(req, res, rawPath);
  if (rawPath === '/__container/creds') {
    if (req.headers.authorization !== 'container-token-1234') return send(res, 403, '{"message":"bad token"}');
    stats.container_fetches += 1;
    return send(res, 200, issueTemporary());
  }

  const parts = decodeURIComponent(rawPath).slice(1);
  const slash = parts.indexOf('/');
  const bucket = slash < 0 ? parts : parts.slice(0, slash);
  const key = slash < 0 ? '' : parts.slice(slash + 1);
  if (down || downBuckets.has(bucket)) return req.socket.destroy(); // control endpoints stay reachable
  stats.requests += 1;
  stats.requests_by_bucket[bucket] = (stats.requests_by_bucket[bucket] || 0) + 1;
  const isList = req.method === 'GET' && url.searchParams.get('list-type') === '2';
  const isComplete = req.method === 'POST' && url.searchParams.has('uploadId');
  const fi = faults.findIndex((f) => (!f.bucket || f.bucket === bucket) && (f.kind !== 'badxml' || isList) && (f.kind !== 'error200' || isComplete) && (f.kind !== 'head404' || req.method === 'HEAD'));
  if (fi >= 0) {
    const [f] = faults.splice(fi, 1);
    stats.faults_applied += 1;
    if (f.kind === '503') return error(res, 503, 'SlowDown', 'Please reduce your request rate.');
    if (f.kind === '500') return error(res, 500, 'InternalError', 'We encountered an internal error. Please try again.');
    if (f.kind === '409') return error(res, 409, 'ConditionalRequestConflict', 'A conflicting operation occurred.');
    if (f.kind === 'expired') return error(res, 400, 'ExpiredToken', 'The provided token has expired.');
    if (f.kind === 'reset') return req.socket.destroy();
    if (f.kind === 'badxml') return send(res, 200, '<?xml version="1.0"?><ListBucketResult><IsTrunc', { 'content-type': 'application/xml' });
    if (f.kind === 'error200') return error(res, 200, 'InternalError', 'We encountered an internal error. Please try again.');
    if (f.kind === 'head404') return send(res, 404);
  }
  const bad = await verifySignature(req, rawPath, rawQuery);
  if (bad) { stats.signature_failures += 1; return error(res, bad[0] === 'RequestTimeTooSkewed' ? 403 : (bad[0] === 'InvalidToken' ? 400 : 403), bad[0], bad[1]); }
  const contentSha = req.headers['x-amz-content-sha256'];
  if (!contentSha) return error(res, 400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  if (contentSha !== 'UNSIGNED-PAYLOAD' && contentSha !== sha256(body).toString('hex')) {
    return error(res, 400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }

  if (!buckets.has(bucket)) buckets.set(bucket, new Map());
  const objects = buckets.get(bucket);
  if (key === '') {
    if (isList) return listObjects(res, bucket, url.searchParams);
    if (req.method === 'PUT' || req.method === 'HEAD') return send(res, 200);
    return error(res, 400, 'NotImplemented', 'only ListObjectsV2 on buckets');
  }
  if (url.searchParams.has('uploads') || url.searchParams.has('uploadId')) return multipart(req, res, url.searchParams, bucket, key, body, objects);
  if (req.method === 'PUT') {
    const digest = sha256(body);
    const checksum = req.headers['x-amz-checksum-sha256'];
    if (checksum !== undefined && checksum !== digest.toString('base64')) return error(res, 400, 'BadDigest', 'The SHA256 you specified did not match the calculated checksum.');
    if (req.headers['if-none-match'] === '*' && objects.has(key)) return error(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
    if (dataDir) {
      if (key.split('/').some((part) => part === '' || part === '.' || part === '..')) return error(res, 400, 'InvalidArgument', 'this fake keeps keys on disk: no empty, . or .. segments');
      persist(bucket, key, body);
    }
    objects.set(key, objectOf(body));
    stats.puts[`${bucket}/${key}`] = (stats.puts[`${bucket}/${key}`] || 0) + 1;
    return send(res, 200, '', { etag: `"${digest.toString('hex').slice(0, 32)}"` });
  }
  if (req.method === 'DELETE') {
    // As S3 (unversioned): 204 whether or not the key existed.
    if (dataDir && objects.has(key)) fs.rmSync(path.join(dataDir, bucket, ...key.split('/')), { force: true });
    objects.delete(key);
    stats.deletes[`${bucket}/${key}`] = (stats.deletes[`${bucket}/${key}`] || 0) + 1;
    return send(res, 204);
  }
  const object = objects.get(key);
  if (req.method === 'GET' || req.method === 'HEAD') {
    if (!object) return req.method === 'HEAD' ? send(res, 404) : error(res, 404, 'NoSuchKey', 'The specified key does not exist.');
    const headers = { etag: `"${object.sha256hex.slice(0, 32)}"`, 'content-type': 'application/octet-stream', 'last-modified': 'Thu, 01 Jan 2026 00:00:00 GMT' };
    if (req.headers['x-amz-checksum-mode'] === 'ENABLED') headers['x-amz-checksum-sha256'] = object.checksum;
    if (req.method === 'HEAD') { res.writeHead(200, { ...headers, 'content-length': object.body.length }); return res.end(); }
    const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range || '');
    if (range) {
      const from = Number(range[1]);
      const to = Math.min(Number(range[2]), object.body.length - 1);
      if (from > to) return error(res, 416, 'InvalidRange', 'The requested range is not satisfiable');
      res.writeHead(206, { ...headers, 'content-length': to - from + 1, 'content-range': `bytes ${from}-${to}/${object.body.length}` });
      return res.end(object.body.subarray(from, to + 1));
    }
    res.writeHead(200, { ...headers, 'content-length': object.body.length });
    return res.end(object.body);
  }
  return error(res, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
}

// CreateMultipartUpload (POST ?uploads), UploadPart (PUT ?partNumber&uploadId),
// CompleteMultipartUpload (POST ?uploadId), AbortMultipartUpload (DELETE ?uploadId).
function multipart(req, res, query, bucket, key, body, objects) {
  const name = `${bucket}/${key}`;
  const countOpen = () => { stats.uploads_open[name] = [...uploads.values()].filter((u) => u.bucket === bucket && u.key === key).length; };
  if (req.method === 'POST' && query.has('uploads')) {
    const id = crypto.randomBytes(24).toString('base64url');
    uploads.set(id, { bucket, key, sha256: req.headers['x-amz-checksum-algorithm'] === 'SHA256', parts: new Map() });
    countOpen();
    return send(res, 200, `<?xml version="1.0" encoding="UTF-8"?>\n<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${bucket}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`,
      { 'content-type': 'application/xml' });
  }
  const upload = uploads.get(query.get('uploadId'));
  if (!upload || upload.bucket !== bucket || upload.key !== key) return error(res, 404, 'NoSuchUpload', 'The specified upload does not exist.');
  if (req.method === 'PUT') {
    const number = Number(query.get('partNumber'));
    if (!Number.isInteger(number) || number < 1 || number > 10000) return error(res, 400, 'InvalidArgument', 'Part number must be an integer between 1 and 10000');
    const checksum = req.headers['x-amz-checksum-sha256'];
    const digest = sha256(body).toString('base64');
    if (checksum !== undefined && checksum !== digest) return error(res, 400, 'BadDigest', 'The SHA256 you specified did not match the calculated checksum.');
    if (upload.sha256 && checksum === undefined) return error(res, 400, 'InvalidRequest', 'The upload was created using a sha256 checksum: each part needs one.');
    const etag = `"${crypto.createHash('md5').update(body).digest('hex')}"`;
    upload.parts.set(number, { body, etag, checksum: digest });
    stats.parts[name] = (stats.parts[name] || 0) + 1;
    return send(res, 200, '', { etag });
  }
  if (req.method === 'DELETE') {
    uploads.delete(query.get('uploadId'));
    stats.uploads_aborted[name] = (stats.uploads_aborted[name] || 0) + 1;
    countOpen();
    return send(res, 204);
  }
  if (req.method !== 'POST') return error(res, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
  const listed = [...body.toString().matchAll(/<Part>(.*?)<\/Part>/gs)].map((m) => ({
    number: Number((/<PartNumber>(\d+)<\/PartNumber>/.exec(m[1]) || [])[1]),
    etag: ((/<ETag>(.*?)<\/ETag>/s.exec(m[1]) || [])[1] || '').replace(/&quot;/g, '"'),
    checksum: (/<ChecksumSHA256>(.*?)<\/ChecksumSHA256>/s.exec(m[1]) || [])[1],
  }));
  if (listed.length === 0) return error(res, 400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.');
  for (let i = 0; i < listed.length; ++i) {
    const p = listed[i];
    const stored = upload.parts.get(p.number);
    if (i > 0 && p.number <= listed[i - 1].number) return error(res, 400, 'InvalidPartOrder', 'The list of parts was not in ascending order.');
    if (!stored || stored.etag !== p.etag) return error(res, 400, 'InvalidPart', `One or more of the specified parts could not be found (part ${p.number}).`);
    if (upload.sha256 && p.checksum !== stored.checksum) return error(res, 400, 'InvalidPart', `The checksum of part ${p.number} does not match.`);
    if (i < listed.length - 1 && stored.body.length < MIN_PART) return error(res, 400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.');
  }
  // As S3: a failed precondition leaves the upload open, to be aborted.
  if (req.headers['if-none-match'] === '*' && objects.has(key)) return error(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
  const whole = Buffer.concat(listed.map((p) => upload.parts.get(p.number).body));
  if (dataDir) persist(bucket, key, whole);
  objects.set(key, objectOf(whole));
  uploads.delete(query.get('uploadId'));
  countOpen();
  stats.puts[name] = (stats.puts[name] || 0) + 1;
  return send(res, 200, `<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${bucket}</Bucket><Key>${xmlEscape(key)}</Key><ETag>&quot;${crypto.createHash('md5').update(whole).digest('hex')}-${listed.length}&quot;</ETag></CompleteMultipartUploadResult>`,
    { 'content-type': 'application/xml' });
}

if (dataDir) loadDataDir();
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => handle(req, res, Buffer.concat(chunks)).catch((e) => { console.error(e); error(res, 500, 'InternalError', String(e)); }));
});
server.listen(port, '127.0.0.1', () => console.log(`fake S3 listening on 127.0.0.1:${server.address().port}`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
