'use strict';

// A small HTTP service built on Node's standard library only.
//   GET /        -> "hello from node"
//   GET /health  -> "ok"
const http = require('http');

const port = Number.parseInt(process.env.PORT || '3000', 10);

const server = http.createServer((req, res) => {
  const path = new URL(req.url, 'http://localhost').pathname;
  let status = 200;
  let body;
  if (path === '/') {
    body = 'hello from node\n';
  } else if (path === '/health' || path === '/healthz') {
    body = 'ok';
  } else {
    status = 404;
    body = 'not found\n';
  }
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
  console.log(`${req.method} ${req.url} ${status}`);
});

server.listen(port, '0.0.0.0', () => {
  console.log(`listening on :${port}`);
});

// Exit cleanly on `docker stop` (SIGTERM) and Ctrl-C.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
