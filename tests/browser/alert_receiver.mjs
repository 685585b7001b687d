// The alert channels of the browser fixture (run.sh): one loopback HTTP server on a port of the
// system's choosing, written to the file given as argument. POST /ops answers 200, as a working
// receiver; POST /pager answers 503, as a receiver in maintenance, so its notifications wait.
import http from 'node:http';
import { writeFileSync } from 'node:fs';

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const ok = req.method === 'POST' && req.url === '/ops';
    res.writeHead(ok ? 200 : 503, { 'Content-Type': 'application/json' });
    res.end(ok ? '{"ok":true}' : '{"error":"pager in maintenance"}');
  });
});
server.listen(0, '127.0.0.1', () => writeFileSync(process.argv[2], String(server.address().port)));
// Nothing to finish: a notification is answered at once.
process.on('SIGTERM', () => process.exit(0));
