// Legacy sample service: GET / -> "hello from legacy-secret", GET /health -> "ok",
// GET /private -> 200 only with "Authorization: Bearer $API_TOKEN".
const http = require('http');

const port = Number.parseInt(process.env.PORT || '3000', 10);
const apiToken = process.env.API_TOKEN || '';

http.createServer((req, res) => {
  let status = 200;
  let body;
  if (req.url === '/') {
    body = 'hello from legacy-secret\n';
  } else if (req.url === '/health' || req.url === '/healthz') {
    body = 'ok';
  } else if (req.url === '/private') {
    const ok = apiToken !== '' && req.headers.authorization === `Bearer ${apiToken}`;
    status = ok ? 200 : 401;
    body = ok ? 'secret area\n' : 'unauthorized\n';
  } else {
    status = 404;
    body = 'not found\n';
  }
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(body);
}).listen(port, () => console.log(`listening on :${port}`));
