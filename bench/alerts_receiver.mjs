// The webhook receiver of bench/alerts_latency.sh: answers every POST 200 at once and appends
// one line per request to OUT_FILE: the receive time (ms since the epoch, this machine's clock,
// taken when the whole body is in), the Idempotency-Key, the body's snapshot time and event.
// Usage: node bench/alerts_receiver.mjs PORT OUT_FILE
import fs from 'node:fs';
import http from 'node:http';

const [port, outFile] = process.argv.slice(2);
const out = fs.openSync(outFile, 'a');
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const received = performance.timeOrigin + performance.now();
    let body = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      // Recorded with empty fields: the script counts them as malformed.
    }
    res.writeHead(200, {'Content-Type': 'application/json'});
    res.end('{"ok":true}');
    fs.writeSync(out, `${received.toFixed(1)} ${req.headers['idempotency-key'] || '-'} ` +
                      `${body.time || '-'} ${body.event || '-'}\n`);
  });
});
server.keepAliveTimeout = 60000;
server.listen(Number(port), '127.0.0.1', () => console.log(`listening on ${port}`));
