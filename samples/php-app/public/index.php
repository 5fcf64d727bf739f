<?php

declare(strict_types=1);

// A small HTTP service with no dependencies, run by PHP's built-in server:
//   php -S 0.0.0.0:8080 -t public
// Every path that is not a file under public/ is routed to this script.
//   GET /        -> "hello from php"
//   GET /health  -> "ok"

$path = parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH) ?: '/';

header('Content-Type: text/plain; charset=utf-8');

switch ($path) {
    case '/':
        echo "hello from php\n";
        break;
    case '/health':
    case '/healthz':
        echo 'ok';
        break;
    default:
        http_response_code(404);
        echo "not found\n";
}
