// A loopback webhook receiver for the alerts soak (tests/crash/alerts_soak.sh): verifies every
// request's X-Coinlake-Signature with the channel's secret itself (node's crypto, not coinlake's
// code), records each request to a file and answers as told, like the simulator's faults.
//
//   node webhook_receiver.mjs --port PORT --secrets FILE --record FILE
//
// FILE for --secrets: JSON {"/hook/ops": "secret", ...}: one path per channel, each with its own
// secret. --record: one JSON line per request, appended synchronously before the answer is
// written, so a receiver killed with -9 keeps what it answered (it may keep one line more than it
// answered: the request it was killed answering).
//
// Faults: POST /__ctl/faults with a JSON array, one fault per coming webhook request, in order:
//   {"fault":"status","http":500}                 answer 500 (not processed)
//   {"fault":"status","http":429,"retry_after":1} answer 429 with Retry-After (not processed)
//   {"fault":"slow","delay_ms":2500}              process, but answer 200 only after the delay
//                                                 (longer than coinlake's timeout: it retries)
// GET /__ctl/pending: faults not consumed yet. "Down" is this process stopped (kill -9): nothing
// listens until the driver starts it again on the same port.
//
// A record: {"n", "at_ms", "path", "key", "sig_ok", "answer", "late", "body_b64"} and
// "retry_after" when sent; "at_ms" is when the request arrived, "answer" the HTTP status sent,
// "late" true for a slow answer. Only requests answered 2xx are processed.
import fs from 'node:fs';
import http from 'node:http';
import crypto from 'node:crypto';

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
for (const required of ['port', 'secrets', 'record']) {
  if (!args[required]) { console.error(`webhook_receiver.mjs: --${required} is required`); process.exit(2); }
}
const secrets = JSON.parse(fs.readFileSync(args.secrets, 'utf8'));
const recordFd = fs.openSync(args.record, 'a');
let faults = [];
let requests = 0;

function verify(secret, body, header) {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const expected = Buffer.from(crypto.createHmac('sha256', secret).update(body).digest('hex'));
  const got = Buffer.from(header.slice('sha256='.length));
  return got.length === expected.length && crypto.timingSafeEqual(got, expected);
}

function record(entry) {
  fs.writeSync(recordFd, JSON.stringify(entry) + '\n');
}

function control(req, res, body) {
  if (req.method === 'POST' && req.url === '/__ctl/faults') {
    let list;
    try { list = JSON.parse(body.toString('utf8')); } catch { list = null; }
    if (!Array.isArray(list)) { res.writeHead(400).end('a JSON array of faults\n'); return; }
    faults.push(...list);
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ pending: faults.length }));
    return;
  }
  if (req.method === 'GET' && req.url === '/__ctl/pending') {
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ pending: faults.length, requests }));
    return;
  }
  res.writeHead(404).end();
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    if (req.url.startsWith('/__ctl/')) { control(req, res, body); return; }
    const secret = secrets[req.url];
    const entry = {
      n: ++requests,
      at_ms: Date.now(),
      path: req.url,
      key: req.headers['idempotency-key'] ?? null,
      sig_ok: secret !== undefined && req.method === 'POST' && verify(secret, body, req.headers['x-coinlake-signature']),
      late: false,
      body_b64: body.toString('base64'),
    };
    if (!entry.sig_ok) {
      entry.answer = 401;
      record(entry);
      res.writeHead(401).end('bad signature or unknown channel\n');
      return;
    }
    const fault = faults.shift();
    if (fault && fault.fault === 'status') {
      entry.answer = fault.http;
      if (fault.retry_after !== undefined) entry.retry_after = fault.retry_after;
      record(entry);
      const headers = fault.retry_after !== undefined ? { 'Retry-After': String(fault.retry_after) } : {};
      res.writeHead(fault.http, headers).end(`{"error":"injected ${fault.http}"}`);
      return;
    }
    const answer = () => {
      entry.answer = 200;
      record(entry);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
    };
    if (fault && fault.fault === 'slow') {
      entry.late = true;
      setTimeout(answer, fault.delay_ms);
      return;
    }
    answer();
  });
});
server.keepAliveTimeout = 1000;
server.listen(Number(args.port), '127.0.0.1', () => {
  console.log(JSON.stringify({ listening: server.address().port }));
});
