print("crlf app ok")
