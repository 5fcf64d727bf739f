# frozen_string_literal: true

# A small HTTP/1.1 service built on Ruby's standard library only (socket).
# WEBrick is not bundled with Ruby 3.x, so this speaks HTTP itself.
#
#   GET /        -> "hello from ruby"
#   GET /health  -> "ok"

require "socket"

$stdout.sync = true

PORT = Integer(ENV.fetch("PORT", "8080"))

def respond(client, status, body, head_only: false)
  client.write(
    "HTTP/1.1 #{status}\r\n" \
    "Content-Type: text/plain; charset=utf-8\r\n" \
    "Content-Length: #{body.bytesize}\r\n" \
    "Connection: close\r\n\r\n"
  )
  client.write(body) unless head_only
end

def handle(client)
  request_line = client.gets.to_s
  # Drain the headers; this service ignores them and request bodies.
  while (line = client.gets) && line != "\r\n" && line != "\n"
  end
  method, target = request_line.split(" ", 3)
  path = target.to_s.split("?", 2).first
  head_only = method == "HEAD"
  if %w[GET HEAD].include?(method)
    case path
    when "/" then respond(client, "200 OK", "hello from ruby\n", head_only: head_only)
    when "/health", "/healthz" then respond(client, "200 OK", "ok", head_only: head_only)
    else respond(client, "404 Not Found", "not found\n", head_only: head_only)
    end
  else
    respond(client, "405 Method Not Allowed", "method not allowed\n")
  end
  puts "#{method} #{target}"
rescue IOError, SystemCallError => e
  warn "connection error: #{e.message}"
ensure
  client.close
end

%w[TERM INT].each { |signal| Signal.trap(signal) { exit } }

server = TCPServer.new("0.0.0.0", PORT)
puts "listening on :#{PORT}"
loop do
  client = server.accept
  Thread.new(client) { |c| handle(c) }
end
