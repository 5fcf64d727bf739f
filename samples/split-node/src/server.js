// GET / -> "hello from split-node", GET /health (and /healthz) -> "ok".
var http = require('http');

var port = process.env.PORT || 3000;

http.createServer(function (req, res) {
  if (req.url === '/') {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('hello from split-node\n');
  } else if (req.url === '/health' || req.url === '/healthz') {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('ok');
  } else {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('not found\n');
  }
}).listen(port, function () {
  console.log('listening on :' + port);
});
process.on('SIGTERM', function () { process.exit(0); });
